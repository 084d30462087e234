"""The Kubernetes manifests (deploy/k8s) agree with the code they deploy.

Each kustomization is resolved here in plain Python (the subset of kustomize the manifests use;
anything else fails the test, so the resolver is extended rather than silently wrong), then
checked against the services themselves: ports, commands through each service's own command
line parser, environment variables against the settings classes, probe and scrape paths against
the apps' routes, and the topics against deploy/kafka/topics.toml.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from starlette.routing import Match

from portal_chassis import cli
from portal_chassis.mail_secrets import generate_key_pair
from portal_chassis.settings import ServiceSettings
from portal_stack.gateway import render_config
from portal_stack.kafka import load_topics
from portal_stack.kubernetes import CLUSTER_REPLICAS, GATEWAY_TEMPLATE_KEY, STRIMZI_CLUSTER, stale_files
from portal_stack.services import DEFAULT_PORTS, SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = {"base": K8S / "base", "local": K8S / "overlays" / "local"}
IMAGE = "energy-portal"  # deploy/Dockerfile's image, one for every service and job
# Read by the process rather than a settings class: uvicorn's trusted proxies.
PROCESS_ENV = {"FORWARDED_ALLOW_IPS"}
SCALED_OUT = {"metering": 2, "billing": 2}

Resource = dict[str, Any]


# --- a small kustomize ----------------------------------------------------------------------

_SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "configMapGenerator", "images", "patches"}


def _documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def build(folder: Path) -> list[Resource]:
    """The resources `kubectl kustomize folder` gives, without the generators' name hashes."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - _SUPPORTED
    assert not unsupported, f"{folder}: the test's resolver does not know {sorted(unsupported)}"
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = folder / entry
        resources += build(path) if path.is_dir() else _documents(path)
    for generator in kustomization.get("configMapGenerator", []):
        _generate_config_map(resources, generator)
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch)
    for image in kustomization.get("images", []):
        for container in _all_containers(resources):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for resource in resources:
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def _generate_config_map(resources: list[Resource], generator: dict[str, Any]) -> None:
    assert set(generator) <= {"name", "literals", "behavior"}, generator
    data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
    existing = [
        r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"] == generator["name"]
    ]
    if generator.get("behavior", "create") == "merge":
        assert existing, f"merge into a ConfigMap the base lacks: {generator['name']}"
        existing[0]["data"].update(data)
    else:
        assert not existing, f"ConfigMap {generator['name']} made twice"
        resources.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
        )


def _apply_patch(resources: list[Resource], patch: dict[str, Any]) -> None:
    target = patch["target"]
    operations = yaml.safe_load(patch["patch"])
    assert isinstance(operations, list), "only JSON 6902 patches are resolved here"
    matched = [
        r
        for r in resources
        if r["kind"] == target.get("kind", r["kind"])
        and r["metadata"]["name"] == target.get("name", r["metadata"]["name"])
        and r["apiVersion"].split("/")[0] == target.get("group", r["apiVersion"].split("/")[0])
    ]
    assert matched, f"a patch matches nothing: {target}"
    for resource in matched:
        for operation in operations:
            *parents, last = operation["path"].strip("/").split("/")
            node = resource
            for key in parents:
                node = node[int(key)] if isinstance(node, list) else node[key]
            index = int(last) if isinstance(node, list) else last
            if operation["op"] == "remove":
                del node[index]
            else:
                assert operation["op"] in ("add", "replace"), operation
                if operation["op"] == "replace":
                    assert index in (range(len(node)) if isinstance(node, list) else node), (
                        f"replace of a missing {operation['path']}"
                    )
                node[index] = copy.deepcopy(operation["value"])


def _pod_specs(resources: list[Resource]) -> Iterator[tuple[Resource, Resource]]:
    for resource in resources:
        if resource["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield resource, resource["spec"]["template"]["spec"]
        elif resource["kind"] == "CronJob":
            yield resource, resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _containers(pod: Resource) -> list[Resource]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _all_containers(resources: list[Resource]) -> Iterator[Resource]:
    for _, pod in _pod_specs(resources):
        yield from _containers(pod)


@pytest.fixture(scope="module", params=sorted(KUSTOMIZATIONS))
def resources(request: pytest.FixtureRequest) -> list[Resource]:
    return build(KUSTOMIZATIONS[request.param])


def one(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def portal_containers(resources: list[Resource]) -> Iterator[tuple[Resource, Resource, Resource]]:
    """(workload, pod spec, container) for every container running the suite's image."""
    for workload, pod in _pod_specs(resources):
        for container in _containers(pod):
            if container["image"].split(":")[0] == IMAGE:
                yield workload, pod, container


def service_of(container: Resource) -> str:
    command = container["command"]
    assert command[:2] == ["python", "-m"] and command[2] in SERVICE_NAMES, command
    return str(command[2])


# --- the code's side ------------------------------------------------------------------------


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{service}.settings")
    [found] = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    ]
    return found


def env_names(settings: type[ServiceSettings]) -> dict[str, bool]:
    """Every variable the settings class reads, and whether it is required."""
    prefix = settings.model_config.get("env_prefix", "")
    names: dict[str, bool] = {}
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        variable = alias if isinstance(alias, str) else f"{prefix}{name}"
        assert alias is None or isinstance(alias, str), f"{settings.__name__}.{name}: alias kind not handled"
        names[variable.upper()] = field.is_required()
    return names


def placeholder(variable: str, service: str, keys: tuple[str, str]) -> str:
    """A value of the right form for a secret the manifests only name."""
    if variable.endswith("_DATABASE_URL"):
        return f"postgresql+asyncpg://{service}:pw@postgres:5432/{service}"
    if variable == "EVENT_SEALING_KEY":
        return Fernet.generate_key().decode()
    if variable.endswith("MAIL_SECRETS_PRIVATE_KEY"):
        return keys[0]
    if variable.endswith("MAIL_SECRETS_PUBLIC_KEY"):
        return keys[1]
    return "s" * 40


def container_env(resources: list[Resource], container: Resource, service: str) -> dict[str, str]:
    """The container's environment as the manifests give it, secrets filled with placeholders."""
    keys = generate_key_pair()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, (
            "name each secret's variables (secretKeyRef), so they can be checked"
        )
        env.update(one(resources, "ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        reference = entry["valueFrom"]["secretKeyRef"]
        if not reference.get("optional"):
            env[entry["name"]] = placeholder(entry["name"], service, keys)
    return env


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Exactly this environment as far as any service's settings can tell."""
    for service in SERVICE_NAMES:
        for variable in env_names(settings_class(service)):
            monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)


def parse_cli(service: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What `python -m <service> <argv>` would run and with which options, found by the
    service's own parser with nothing run: [(command, options)]."""
    calls: list[tuple[str, Any]] = []
    module = importlib.import_module(f"{service}.__main__")
    real_run = cli.run

    def recording_run(**kwargs: Any) -> int:
        stubs = {
            name: (help_text, lambda args, name=name: calls.append((name, vars(args))) or 0, configure)
            for name, (help_text, _, configure) in (kwargs.get("commands") or {}).items()
        }
        return real_run(**{**kwargs, "create_app": lambda: None, "commands": stubs})

    monkeypatch.setattr(module, "run", recording_run)
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: calls.append(("serve", options)))
    monkeypatch.setattr(cli, "upgrade", lambda folder, url: calls.append(("migrate", {"url": url})))
    # A service's own commands run under a job lock in the database: none here.
    monkeypatch.setattr(cli, "_one_at_a_time", lambda settings, command, action: action(), raising=False)
    try:
        code = module.main(argv)
    except SystemExit as exc:
        pytest.fail(f"python -m {service} {' '.join(argv)}: refused by its parser (exit {exc.code})")
    assert code == 0
    return calls


def cli_commands(service: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The service's own commands (beyond serve, migrate, ...): name -> (help, action, configure)."""
    module = importlib.import_module(f"{service}.__main__")
    found: dict[str, Any] = {}

    def recording_run(**kwargs: Any) -> int:
        found.update(kwargs.get("commands") or {})
        return 0

    monkeypatch.setattr(module, "run", recording_run)
    module.main([])
    return found


def has_route(app: Any, path: str) -> bool:
    scope = {
        "type": "http",
        "path": path,
        "method": "GET",
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


# --- the checks -----------------------------------------------------------------------------


def test_the_generated_manifests_are_current() -> None:
    assert stale_files() == [], "stale: run `uv run portal-stack k8s-generate`"


def test_no_secret_value_is_committed(resources: list[Resource]) -> None:
    assert not [r for r in resources if r["kind"] == "Secret"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_service_has_a_deployment_and_a_service_on_its_port(
    resources: list[Resource], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = DEFAULT_PORTS[service]
    deployment = one(resources, "Deployment", service)
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert container["image"].split(":")[0] == IMAGE
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert deployment["spec"]["replicas"] == SCALED_OUT.get(service, 1)
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()

    k8s_service = one(resources, "Service", service)
    assert k8s_service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert [(p["port"], p["targetPort"]) for p in k8s_service["spec"]["ports"]] == [(port, "http")]

    use_env(monkeypatch, container_env(resources, container, service))
    assert service_of(container) == service
    [(command, options)] = parse_cli(service, container["command"][3:], monkeypatch)
    assert (command, options["host"], options["port"]) == ("serve", "0.0.0.0", port)  # noqa: S104

    [migrate] = pod["spec"]["initContainers"]
    assert service_of(migrate) == service
    assert parse_cli(service, migrate["command"][3:], monkeypatch)[0][0] == "migrate"
    assert migrate["env"] == container["env"] and migrate["envFrom"] == container["envFrom"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_probe_and_scrape_paths_are_routes_of_the_app(
    resources: list[Resource], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = one(resources, "Deployment", service)["spec"]["template"]
    [container] = pod["spec"]["containers"]
    use_env(monkeypatch, container_env(resources, container, service))
    # Built with exactly the manifests' environment: a setting the app needs and the manifests
    # lack fails here (identity refuses to start without the mail secrets key, for one).
    app = importlib.import_module(f"{service}.app").create_app()

    probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")}
    assert {kind: probe["path"] for kind, probe in probes.items()} == {
        "startup": "/health",
        "liveness": "/health",
        "readiness": "/ready",
    }
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(DEFAULT_PORTS[service])
    for path in [probe["path"] for probe in probes.values()] + [annotations["prometheus.io/path"]]:
        assert has_route(app, path), f"{service} has no route GET {path}"
    assert all(probe["port"] == "http" for probe in probes.values())


def test_every_variable_set_is_read_and_every_required_one_is_set(
    resources: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = 0
    for workload, _, container in portal_containers(resources):
        service = service_of(container)
        settings = settings_class(service)
        known = env_names(settings)
        env = container_env(resources, container, service)
        where = f"{workload['kind']}/{workload['metadata']['name']} ({container['name']})"
        unknown = set(env) - set(known) - PROCESS_ENV
        assert not unknown, f"{where} sets what {service} never reads: {sorted(unknown)}"
        missing = {name for name, required in known.items() if required} - set(env)
        assert not missing, f"{where} lacks required {sorted(missing)}"
        database = f"{service.upper()}_DATABASE_URL"
        secret_names = {e["name"] for e in container.get("env", []) if "valueFrom" in e}
        assert database in secret_names, f"{where}: {database} must come from a Secret (it holds a password)"
        use_env(monkeypatch, env)
        settings()  # the values given are valid for the settings class
        checked += 1
    assert checked >= 2 * len(SERVICE_NAMES)


def test_every_job_runs_a_command_of_its_service(
    resources: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduled: dict[str, set[str]] = {service: set() for service in SERVICE_NAMES}
    for workload, pod in _pod_specs(resources):
        if workload["kind"] != "CronJob":
            continue
        [container] = pod["containers"]
        assert container["image"].split(":")[0] == IMAGE
        service = service_of(container)
        use_env(monkeypatch, container_env(resources, container, service))
        [(command, _)] = parse_cli(service, container["command"][3:], monkeypatch)
        assert command not in ("serve", "migrate")
        assert workload["metadata"]["name"] == f"{service}-{command}"
        spec = workload["spec"]
        assert len(spec["schedule"].split()) == 5 and spec["timeZone"] == "Europe/Amsterdam"
        assert spec["concurrencyPolicy"] == "Forbid"
        assert pod["restartPolicy"] == "Never"
        scheduled[service].add(command)
    # A command with --today is a daily job (portal_chassis.cli.today_arg): each is scheduled.
    for service in SERVICE_NAMES:
        daily = set()
        for name, (_, _, configure) in cli_commands(service, monkeypatch).items():
            parser = argparse.ArgumentParser()
            configure(parser)
            if any("--today" in action.option_strings for action in parser._actions):
                daily.add(name)
        assert daily <= scheduled[service], f"{service}: no CronJob for {sorted(daily - scheduled[service])}"


def test_pods_run_as_non_root_with_a_read_only_root(resources: list[Resource]) -> None:
    for workload, pod in _pod_specs(resources):
        if workload["metadata"]["name"] == "mail":  # the local overlay's Mailpit
            continue
        assert pod["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(pod):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert "memory" in container["resources"]["limits"]


# Replicas per partition: the cluster's three brokers; the local overlay's single broker holds one.
TOPIC_REPLICAS = {"base": CLUSTER_REPLICAS, "local": 1}


def test_the_kafka_topics_are_those_of_topics_toml(
    resources: list[Resource], request: pytest.FixtureRequest
) -> None:
    replicas = TOPIC_REPLICAS[request.node.callspec.params["resources"]]
    topics = {r["spec"]["topicName"]: r for r in resources if r["kind"] == "KafkaTopic"}
    specs = {spec.name: spec for spec in load_topics()}
    assert set(topics) == set(specs)
    for name, spec in specs.items():
        resource = topics[name]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", resource["metadata"]["name"])
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == STRIMZI_CLUSTER
        assert resource["spec"]["partitions"] == spec.partitions, name
        assert resource["spec"]["config"] == spec.configs(), name
        assert resource["spec"]["replicas"] == replicas, name


def test_services_find_kafka_and_identity_where_the_manifests_put_them(resources: list[Resource]) -> None:
    config = one(resources, "ConfigMap", "portal-config")["data"]
    assert config["KAFKA_BOOTSTRAP_SERVERS"] == f"{STRIMZI_CLUSTER}-kafka-bootstrap:9092"
    assert config["IDENTITY_JWKS_URL"] == f"http://identity:{DEFAULT_PORTS['identity']}/.well-known/jwks.json"


def test_the_gateway_routes_every_service_with_the_repository_template(resources: list[Resource]) -> None:
    template = one(resources, "ConfigMap", "gateway-nginx")["data"][GATEWAY_TEMPLATE_KEY]
    assert template == (ROOT / "deploy" / "gateway" / "nginx.conf.template").read_text()
    pod = one(resources, "Deployment", "gateway")["spec"]["template"]["spec"]
    [nginx] = pod["containers"]
    env = {e["name"]: e["value"] for e in nginx["env"]}
    upstreams = {service: env[f"{service.upper()}_UPSTREAM"] for service in SERVICE_NAMES}
    assert upstreams == {service: f"{service}:{port}" for service, port in DEFAULT_PORTS.items()}
    for service in SERVICE_NAMES:
        one(resources, "Service", service)
    # Every name the template uses is set: it renders as portal_stack's gateway renders it.
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", template))
    assert used <= set(env)
    render_config(
        listen=env["GATEWAY_LISTEN"],
        upstreams=upstreams,
        rate_limit=env["GATEWAY_RATE_LIMIT"],
        rate_burst=int(env["GATEWAY_RATE_BURST"]),
        access_log=env["GATEWAY_ACCESS_LOG"],
        trusted_proxy=env["GATEWAY_TRUSTED_PROXY"],
        template=template,
    )
    assert nginx["ports"] == [{"name": "http", "containerPort": int(env["GATEWAY_LISTEN"])}]
    # The entrypoint renders into the prefix nginx runs with; /healthz is nginx's own.
    prefix = env["NGINX_ENVSUBST_OUTPUT_DIR"]
    assert nginx["args"][:3] == ["nginx", "-p", f"{prefix}/"]
    assert prefix in {mount["mountPath"] for mount in nginx["volumeMounts"]}
    assert "location = /healthz" in template
    assert nginx["readinessProbe"]["httpGet"]["path"] == "/healthz"
    gateway_service = one(resources, "Service", "gateway")
    assert gateway_service["spec"]["ports"][0]["targetPort"] == "http"


def test_every_config_map_and_volume_claim_referenced_exists(resources: list[Resource]) -> None:
    names = {(r["kind"], r["metadata"]["name"]) for r in resources}
    for _, pod in _pod_specs(resources):
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
        for container in _containers(pod):
            for source in container.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in names
