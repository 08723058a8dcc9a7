#!/usr/bin/env python3
"""Reference startup probe for the benchmark: the checks smoke-test makes, one after the other.

Same contract (0 ready, 64 CLI broken, 65 credentials missing, 66 invalid; one JSON line on
stdout, one sentence on stderr), same order of work a straightforward probe would do: become the
agent, run `<cli> --version` with a timeout, then read and validate the credentials.
Environment: AGENT, AGENT_UID, AGENT_GID, AGENT_CONFIG_DIR, PATH, and the credential variables.
"""
import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

ENV_VARIABLES = {"codex": ["OPENAI_API_KEY", "CODEX_API_KEY"], "claude": ["CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY"]}
CREDENTIALS_FILE = {"codex": "auth.json", "claude": ".credentials.json"}
CODEX_MODES = {"apikey", "chatgpt", "chatgptAuthTokens", "agentIdentity", "personalAccessToken", "bedrockApiKey"}


def finish(code, status, reason, detail, version=None):
    print(json.dumps({"status": status, "agent": os.environ.get("AGENT"), "reason": reason, "detail": detail, "cli_version": version, "exit_code": code}))
    print(f"smoke-test: {status} ({code}): {detail}", file=sys.stderr)
    sys.exit(code)


def become_agent():
    uid, gid = int(os.environ.get("AGENT_UID", "10001")), int(os.environ.get("AGENT_GID", "10001"))
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([gid])
        os.setgid(gid)
        os.setuid(uid)


def check_cli(agent):
    path = shutil.which(agent, path=os.environ.get("PATH"))
    if path is None:
        return None, f"{agent} is not found in PATH"
    try:
        run = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None, f"{path} --version timed out"
    except OSError as error:
        return None, f"{path} --version could not start: {error}"
    if run.returncode != 0:
        return None, f"{path} --version exited with {run.returncode}"
    return run.stdout.strip().splitlines()[0] if run.stdout.strip() else "", None


def blank(value):
    return value is None or (isinstance(value, str) and value.strip() == "")


def jwt_payload(token):
    parts = token.split(".")
    if len(parts) < 3 or not all(parts[:3]):
        return None
    segment = parts[1]
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def judge_codex(auth, now):
    mode = auth.get("auth_mode")
    if mode is not None and mode not in CODEX_MODES:
        return 66, "unknown-auth-mode"
    key = auth.get("OPENAI_API_KEY")
    if key is not None and not isinstance(key, str):
        return 66, "wrong-shape"
    last_refresh = auth.get("last_refresh")
    if last_refresh is not None:
        try:
            datetime.datetime.fromisoformat(str(last_refresh).replace("Z", "+00:00"))
        except ValueError:
            return 66, "wrong-shape"
    tokens = auth.get("tokens")
    if tokens is not None:
        if not isinstance(tokens, dict) or not all(isinstance(tokens.get(f), str) for f in ("id_token", "access_token", "refresh_token")):
            return 66, "wrong-shape"
        if not blank(tokens["id_token"]):
            claims = jwt_payload(tokens["id_token"])
            if claims is None or not isinstance(claims.get("email", ""), (str, type(None))):
                return 66, "malformed-id-token"
    mode = mode or ("apikey" if isinstance(key, str) else "chatgpt")
    if mode == "apikey":
        return (66, "no-api-key") if blank(key) else (0, "valid")
    if not tokens:
        return 66, "no-tokens"
    if any(blank(tokens.get(f)) for f in ("id_token", "access_token", "refresh_token")):
        return 66, "blanked"
    exp = (jwt_payload(tokens["access_token"]) or {}).get("exp")
    return 0, "refreshable" if isinstance(exp, (int, float)) and exp * 1000 <= now else "valid"


def judge_claude(value, now):
    oauth = value.get("claudeAiOauth")
    if oauth is None:
        return 65, "no-login"
    if not isinstance(oauth, dict):
        return 66, "wrong-shape"
    if blank(oauth.get("accessToken")):
        return 66, "blanked"
    scopes = oauth.get("scopes")
    if not isinstance(scopes, list) or "user:inference" not in scopes:
        return 66, "missing-scope"
    expires = oauth.get("expiresAt")
    if not blank(oauth.get("refreshToken")):
        return 0, "valid"
    if expires == 0:
        return 66, "blanked"
    if isinstance(expires, (int, float)) and expires <= now:
        return 66, "expired"
    return 0, "valid"


def check_credentials(agent):
    for name in ENV_VARIABLES[agent]:
        if os.environ.get(name):
            return 0, "env", f"{name} is set"
    config_dir = os.environ["AGENT_CONFIG_DIR"]
    file = os.path.join(config_dir, CREDENTIALS_FILE[agent])
    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return 65, "absent", f"{file} does not exist"
    except PermissionError:
        stat = os.stat(file)
        return 66, "unreadable", f"{file} cannot be read by uid {os.getuid()}: owned by {stat.st_uid}"
    if text.strip() == "":
        return 66, "empty", f"{file} is empty"
    if text.startswith("\ufeff"):
        return 66, "not-json", f"{file} starts with a byte-order mark"
    try:
        value = json.loads(text)
    except ValueError as error:
        return 66, "not-json", f"{file} is not valid JSON (line {error.lineno}, column {error.colno})"
    if not isinstance(value, dict):
        return 66, "wrong-shape", f"{file} is not a JSON object"
    now = time.time() * 1000
    code, reason = judge_codex(value, now) if agent == "codex" else judge_claude(value, now)
    return code, reason, f"{file}: {reason}"


def main():
    agent = os.environ.get("AGENT")
    if agent not in CREDENTIALS_FILE:
        finish(78, "error", "config", "AGENT is not codex or claude")
    become_agent()
    version, problem = check_cli(agent)
    if problem:
        finish(64, "cli-broken", "cli", problem)
    code, reason, detail = check_credentials(agent)
    status = {0: "ok", 65: "creds-missing", 66: "creds-invalid"}[code]
    finish(code, status, reason, detail, version)


if __name__ == "__main__":
    main()
