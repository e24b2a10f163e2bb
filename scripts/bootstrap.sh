#!/usr/bin/env bash
# Installs everything the project needs into the project folder; fast when already done.
#   scripts/bootstrap.sh run   -> Python packages + bun
#   scripts/bootstrap.sh test  -> the same, plus the dev tools and Debian's Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-run}"
PY="${PYTHON:-python3}"

# Python 3.11+ virtual environment with the project's pinned packages.
if [ ! -x .venv/bin/python ]; then
  echo "==> Создаю виртуальное окружение .venv"
  "$PY" -m venv .venv
fi
extras="."
[ "$want" = "test" ] && extras=".[dev]"
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-${want}"
if [ ! -f "$stamp" ] && { [ "$want" = "test" ] || [ ! -f ".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-test" ]; }; then
  echo "==> Устанавливаю Python-пакеты ($extras)"
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
         && .venv/bin/python -m pip install --disable-pip-version-check -e "$extras"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "Не удалось установить Python-пакеты: подробности в $log" >&2
    exit 1
  fi
  touch "$stamp"
fi

# bun from the npm registry (Reflex's own download needs the open internet).
if [ ! -x .tools/bun/node_modules/.bin/bun ] || ! .tools/bun/node_modules/.bin/bun --version >/dev/null 2>&1; then
  echo "==> Устанавливаю bun из реестра npm в .tools/bun"
  mkdir -p .tools/bun
  npm install --prefix .tools/bun --no-audit --no-fund --loglevel=error bun@1.4.5 >/dev/null
fi

# axe-core from the npm registry for the accessibility browser test (tests only).
if [ "$want" = "test" ] && [ ! -f .tools/axe/node_modules/axe-core/axe.min.js ]; then
  echo "==> Устанавливаю axe-core из реестра npm в .tools/axe"
  mkdir -p .tools/axe
  npm install --prefix .tools/axe --no-audit --no-fund --loglevel=error axe-core@4.14.1 >/dev/null
fi

if [ "$want" = "test" ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      echo "==> Устанавливаю Chromium из пакетов Debian"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "Для браузерных тестов нужен Chromium. Установите его от root:" >&2
      echo "  apt-get install -y chromium chromium-driver" >&2
      exit 1
    fi
  fi
fi

# pg_dump/pg_restore for the backup tests on PostgreSQL (Debian's postgresql-client).
if [ "$want" = "test" ]; then
  if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      echo "==> Устанавливаю клиент PostgreSQL (pg_dump, pg_restore) из пакетов Debian"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
    else
      echo "Для резервных копий PostgreSQL нужны pg_dump и pg_restore. Установите их от root:" >&2
      echo "  apt-get install -y postgresql-client" >&2
      exit 1
    fi
  fi
  # pg_dump refuses a server newer than itself: say so now, not in the middle of the tests.
  if [ -n "${EJOURNAL_TEST_DATABASE_URL:-}" ] && command -v psql >/dev/null 2>&1; then
    server="$(psql "$EJOURNAL_TEST_DATABASE_URL" -XAtqc 'SHOW server_version_num' 2>/dev/null || true)"
    client="$(pg_dump --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
    if [ -n "$server" ] && [ "$((server / 10000))" -gt "$client" ]; then
      echo "Внимание: pg_dump версии $client старше сервера PostgreSQL $((server / 10000))" >&2
      echo "  (резервные копии PostgreSQL не получатся). Нужен postgresql-client-$((server / 10000))" >&2
      echo "  из репозитория apt.postgresql.org." >&2
    fi
  fi
fi
