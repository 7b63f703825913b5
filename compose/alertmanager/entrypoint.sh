#!/bin/sh
# Alertmanager's entrypoint in compose/: Alertmanager 0.25 cannot read the Telegram bot token from a
# file, so the configuration (monitoring/alertmanager/alertmanager.yml, mounted read-only) names it
# as ${TELEGRAM_BOT_TOKEN}; this script writes a copy with the token from the environment and runs
# Alertmanager on it. The other secrets are read by Alertmanager itself from /run/secrets.
set -eu

src=/etc/vertice/alertmanager.yml
dst=/alertmanager/alertmanager.yml
token="${TELEGRAM_BOT_TOKEN:-}"

if [ -z "$token" ]; then
  echo "entrypoint: TELEGRAM_BOT_TOKEN is not set: info alerts cannot reach Telegram (set it in compose/.env)" >&2
  token="0:unset"
fi
# A bot token is <digits>:<letters, digits, _ and ->; refuse anything else rather than inject it.
case "$token" in
  *[!A-Za-z0-9:_-]*)
    echo "entrypoint: TELEGRAM_BOT_TOKEN holds characters a Telegram bot token never has" >&2
    exit 2
    ;;
esac
for f in smtp_password slack_webhook_url pagerduty_routing_key; do
  if [ ! -s "/run/secrets/$f" ]; then
    echo "entrypoint: secret $f is missing or empty (compose/secrets/$f)" >&2
    exit 2
  fi
done

umask 077
sed "s|\${TELEGRAM_BOT_TOKEN}|$token|g" "$src" > "$dst"
exec /bin/alertmanager --config.file="$dst" --storage.path=/alertmanager "$@"
