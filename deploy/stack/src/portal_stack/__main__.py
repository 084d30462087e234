"""portal-stack: run the portal's local infrastructure and services (see deploy/README.md)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from portal_stack import up as up_module
from portal_stack.compose import write_compose_env
from portal_stack.kafka import DEFAULT_PORT, create_topics, kafka_cli
from portal_stack.kubernetes import stale_files, write_generated
from portal_stack.ports import LOOPBACK


def _bootstrap(explicit: str | None) -> str:
    return explicit or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"{LOOPBACK}:{DEFAULT_PORT}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start everything in the foreground (make up)")
    commands.add_parser("down", help="stop a running `up` (make down)")
    commands.add_parser("status", help="show what runs and whether it answers")
    topics = commands.add_parser("topics", help="create missing topics from topics.toml")
    topics.add_argument("--bootstrap-server", help="default: $KAFKA_BOOTSTRAP_SERVERS")
    topics.add_argument("--file", type=Path, help="default: deploy/kafka/topics.toml")
    cli = commands.add_parser(
        "kafka-cli",
        help="run a Kafka CLI class from the cached jars",
        description="e.g. portal-stack kafka-cli ConsumerGroupCommand --bootstrap-server "
        "127.0.0.1:9092 --describe --all-groups",
    )
    cli.add_argument("tool_class", help="TopicCommand, ConsumerGroupCommand, ... or a class name")
    cli.add_argument("args", nargs=argparse.REMAINDER)
    commands.add_parser("compose-env", help="write deploy/.env secrets for deploy/compose.yaml")
    k8s = commands.add_parser(
        "k8s-generate",
        help="write deploy/k8s/base/generated/ (KafkaTopics from topics.toml, the gateway's nginx template)",
    )
    k8s.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    args = parser.parse_args(argv)

    if args.command == "up":
        return up_module.up()
    if args.command == "down":
        return up_module.down()
    if args.command == "status":
        return up_module.status()
    if args.command == "topics":
        bootstrap = _bootstrap(args.bootstrap_server)
        created = create_topics(bootstrap, args.file)
        print(f"{bootstrap}: {len(created)} topics created" + "".join(f"\n  {n}" for n in created))
        return 0
    if args.command == "kafka-cli":
        result = kafka_cli(args.tool_class, *args.args, check=False, timeout=600)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    if args.command == "compose-env":
        path, written = write_compose_env()
        print(f"{path}: {'written' if written else 'exists, left unchanged'}")
        return 0
    if args.command == "k8s-generate":
        if args.check:
            stale = stale_files()
            for path in stale:
                print(f"{path}: stale, run `uv run portal-stack k8s-generate`", file=sys.stderr)
            return 1 if stale else 0
        changed = write_generated()
        print(f"{len(changed)} files written" + "".join(f"\n  {p}" for p in changed))
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except subprocess.CalledProcessError as exc:
        raise SystemExit(exc.returncode) from exc
