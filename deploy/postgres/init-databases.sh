#!/bin/sh
# Runs once, on an empty postgres:15 data volume (deploy/compose.yaml): one role and one
# database per service, reachable by that role only (as portal_stack.postgres does locally).
set -eu
for service in identity contracts metering billing notifications; do
  password=$(printenv "$(echo "$service" | tr a-z A-Z)_DB_PASSWORD")
  # psql variables quote the name and password, so no value can break out of the SQL.
  psql -v ON_ERROR_STOP=1 -U postgres -d postgres -v svc="$service" -v pw="$password" <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'pw';
CREATE DATABASE :"svc" OWNER :"svc";
REVOKE CONNECT, TEMPORARY ON DATABASE :"svc" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"svc" TO :"svc";
SQL
done
psql -v ON_ERROR_STOP=1 -U postgres -d postgres <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
SQL
