"""The compatibility suite: every doveadm man-page line, run with native doveadm
and with rdoveadm against the same sandbox Dovecot, compared byte for byte
(stdout), by exit code and by end state. See scripts/compat --help."""

import argparse
import concurrent.futures
import glob
import multiprocessing
import signal
import json
import os
import re
import shlex
import subprocess
import sys
import time

import adapt
import baseline
import report
import roff
from sandbox import Instance, PW_INPUT

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHROOT = os.environ.get("RDOVEADM_CHROOT_DIR", "/var/cache/rdoveadm/dovecot24-chroot")
MANDIRS = {"2.3": "/usr/share/man", "2.4": CHROOT + "/usr/share/man"}

# Issue 11 must-show 5: the everyday commands (`--everyday` runs only these).
EVERYDAY = {"who", "kick", "quota get", "quota recalc", "mailbox list", "mailbox status", "mailbox create",
            "mailbox delete", "expunge", "fetch", "search", "user", "reload", "log errors", "process status",
            "stats dump"}

# Server state outside the mail store that a command changes: set up before and
# cleaned up after each run (native doveadm, errors ignored).
HOOKS = {
    "stats add": ([], [["stats", "remove", "compat-metric"]]),
    "stats remove": ([["stats", "add", "compat-metric", "event=imap_command_finished"]],
                     [["stats", "remove", "compat-metric"]]),
}

# Lines never run: they leave the sandbox (a local binary, ssh, another host).
DANGEROUS = [
    (re.compile(r"\bdoveadm\s+(-\S+\s+)*exec\b"), "runs a local binary (doveadm exec); not run"),
    (re.compile(r"\bssh\b"), "runs ssh to another host; not run"),
    (re.compile(r"\bremote:"), "dsyncs with another host; not run"),
]


def pages(version):
    d = MANDIRS[version]
    return sorted(glob.glob(d + "/man1/doveadm*.1.gz")) + [d + "/man7/doveadm-search-query.7.gz"]


def collect(version):
    """Every synopsis, example and example block of the version's pages, once each."""
    seen = {}
    lines = []
    for p in pages(version):
        if not os.path.exists(p):
            continue
        page = os.path.basename(p).rsplit(".", 2)[0]
        for kind, section, text in roff.extract(p):
            if text in seen:
                seen[text]["also_in"].append(page)
                continue
            rec = {"version": version, "page": page, "kind": kind, "section": section,
                   "original": text, "also_in": []}
            seen[text] = rec
            lines.append(rec)
    return lines


def load_overrides(path):
    """overrides.txt: blocks of `match:`, optional `version:`, then `run:` or `skip:`."""
    out = []
    cur = {}
    for raw in open(path, encoding="utf-8").read().split("\n") + [""]:
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                out.append(cur)
            cur = {}
            continue
        k, _, v = line.partition(":")
        v = v[1:] if v.startswith(" ") else v
        if k == "run" and "run" in cur:
            cur["run"] += "\n" + v
        else:
            cur[k.strip()] = v
    return out


def find_override(overrides, rec):
    for o in overrides:
        if o.get("match") == rec["original"].replace("\n", " \\n ") and o.get("version", rec["version"]) == rec["version"]:
            return o
    return None


def dangerous(shell):
    for rx, why in DANGEROUS:
        if rx.search(shell):
            return why
    return None


def adapt_line(rec, overrides):
    """[(variant label, shell or None, skip reason)]; the line itself first (label "")."""
    o = find_override(overrides, rec)
    if o is not None:
        rec["adapted_by"] = "override"
        if "skip" in o:
            return [("", None, o["skip"])]
        return [("", o["run"], None)]
    rec["adapted_by"] = "rules"
    try:
        if rec["kind"] == "synopsis":
            vs = [(label, adapt.argv_to_shell(argv)) for label, argv in adapt.synopsis_variants(rec["original"])]
        else:
            vs = [("", adapt.adapt_example(rec["original"]))]
    except adapt.Skip as e:
        return [("", None, str(e))]
    return [(label, shell, dangerous(shell)) if dangerous(shell) is None else (label, None, dangerous(shell))
            for label, shell in vs]


def api_name(shell):
    """`doveadm -f tab mailbox status ...` -> `mailboxStatus` (first doveadm command of the line)."""
    try:
        words = shlex.split(shell.split("\n")[0].split("|")[0])
    except ValueError:
        return None
    if not words or words[0] != "doveadm":
        return None
    i = 1
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in ("-f", "-o", "-c", "-i") else 1
    cmd = []
    for w in words[i:]:
        if w.startswith("-") or not re.fullmatch(r"[a-z][a-z0-9-]*", w):
            break
        cmd.append(w)
    return cmd


def camel(cmd, api):
    """Longest prefix of the command words that the API knows, as its camelCase name."""
    for n in range(len(cmd), 0, -1):
        parts = "-".join(cmd[:n]).split("-")
        name = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
        if name in api:
            return name
    return None


GROUPS = {"mailbox", "log", "fs", "director", "auth", "acl", "stats", "quota", "flags", "sieve", "proxy",
          "replicator", "process", "service", "instance", "rebuild", "dict", "mail", "indexer", "fts", "pw"}


def command_label(cmd, api):
    """The doveadm command a line runs, for grouping: as many words as the API name has."""
    if api:
        n = len(re.findall(r"[A-Z]", api)) + 1
        return " ".join(cmd[:n]) if "-" not in " ".join(cmd[:n]) else " ".join(cmd[:max(1, n - 1)])
    if len(cmd) > 1 and cmd[0] in GROUPS:
        return " ".join(cmd[:2]) if cmd[1] not in ("cache", "ring") else " ".join(cmd[:3])
    return " ".join(cmd[:1])


def write_shims(inst, rdoveadm, home):
    base = os.path.join(inst.dir, "compat-shims")
    shims = {}
    for tool in ("native", "rdoveadm"):
        d = os.path.join(base, tool)
        os.makedirs(d, exist_ok=True)
        # Each call's exit code goes to $COMPAT_EXITS: a pipeline's own status hides them.
        if tool == "native":
            body = " ".join(shlex.quote(a) for a in inst.native_argv()) + ' "$@"\n'
        else:
            body = (f"RDOVEADM_URL={shlex.quote(inst.url)} RDOVEADM_API_KEY={shlex.quote(inst.api_key)}\n"
                    f"RDOVEADM_DOVECOT_VERSION={shlex.quote(inst.version)}\n"
                    f"export RDOVEADM_URL RDOVEADM_API_KEY RDOVEADM_DOVECOT_VERSION\n{shlex.quote(rdoveadm)} \"$@\"\n")
        body += 'rc=$?\n[ -n "$COMPAT_EXITS" ] && echo "$rc" >>"$COMPAT_EXITS"\nexit "$rc"\n'
        with open(os.path.join(d, "doveadm"), "w") as f:
            f.write("#!/bin/sh\n# compat suite: `doveadm` for this run\n" + body)
        os.chmod(os.path.join(d, "doveadm"), 0o755)
        shims[tool] = d
    return shims


def expand(shell, inst, cache):
    def guid(m):
        user = m.group(1) or (re.search(r"-u (\S+)", shell).group(1) if re.search(r"-u (\S+)", shell) else adapt.USER)
        mb = m.group(2) or "INBOX"
        key = (user, mb)
        if key not in cache:
            cache[key] = inst.guid(user, mb)
        return cache[key]
    shell = re.sub(r"\{GUID(?::([^:}]+):([^}]+))?\}", guid, shell)
    base_dir = (inst.dir[len(inst.chroot):] if inst.chroot else inst.dir) + "/run"
    return (shell.replace("{USERS_FILE}", inst.work + "/users").replace("{WORK}", inst.work)
            .replace("{BASE_DIR}", base_dir).replace("{INSTANCE}", "sbx-" + inst.dir.rsplit(".", 1)[-1]))  # dovecot-sandbox's instance_name


def run_one(inst, shell, shim, home, stdin_file, direct=None):
    """Runs the line in sh with `doveadm` resolving to the tool's shim; a simple line
    (no shell syntax) is exec'd directly as `direct` + its arguments (same argv, fewer
    processes)."""
    inst.restart_if_stopped()
    inst.reset()
    sessions = None
    if re.search(r"\b(who|kick|proxy)\b", shell):  # 2.4 proxy list|kick: anvil sessions too
        inst.ensure_sessions()  # logged in again only where a session ended (kick): PIDs kept otherwise
        sessions = list(inst.session_pids)
    exits = os.path.join(inst.dir, "compat-exits")
    if os.path.exists(exits):
        os.unlink(exits)
    env = {"PATH": shim + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "XDG_CONFIG_HOME": home + "/config",
           "USER": adapt.USER, "LC_ALL": "C.UTF-8", "TZ": "UTC", "COMPAT_EXITS": exits}
    cmd = ["/bin/sh", "-c", shell]
    if direct is not None and not re.search(r"[|;<>&$`\n*?\[\\~]", shell):
        cmd = direct["argv"] + shlex.split(shell)[1:]
        env.update(direct["env"])
    t0 = time.time()
    stdin = open(stdin_file, "rb") if stdin_file else subprocess.DEVNULL
    try:
        r = subprocess.run(cmd, cwd=inst.work, env=env, stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = -1, e.stdout or b"", (e.stderr or b"") + f"\n(timed out after {TIMEOUT} s)".encode()
        timed_out = True
    else:
        timed_out = False
    finally:
        if stdin_file:
            stdin.close()
    dt = time.time() - t0
    calls = [int(x) for x in open(exits).read().split()] if os.path.exists(exits) else []
    if cmd[0] != "/bin/sh":
        calls = [rc]
    restarted = inst.restart_if_stopped()
    return {"rc": rc, "calls": calls, "stdout": out, "stderr": err, "secs": round(dt, 3),
            "state": inst.state(), "stopped_server": restarted, "sessions": sessions, "timed_out": timed_out}


def session_normal(out, pids):
    """Output with each session's PID replaced by the session's name (the suite logs the
    sessions in in a fixed order, so session i is the same user and service for both
    tools), the PIDs within `(pids)` sorted, runs of spaces made one (doveadm's table
    formatter sizes its columns from the rows it printed first, i.e. from the order),
    and each block of consecutive session rows sorted (anvil's and doveadm's hash order).
    Lines without a session keep their place."""
    names = {str(p): f"<{n}>" for p, n in zip(pids, Instance.SESSION_NAMES) if p}
    rx = re.compile(r"\b\d+\b")
    lines, block = [], []
    for raw in out.decode("utf-8", "replace").split("\n"):
        line = rx.sub(lambda m: names.get(m.group(0), m.group(0)), raw)
        line = re.sub(r"\(([^()]*<[^()]*)\)", lambda m: "(" + " ".join(sorted(m.group(1).split())) + ")", line)
        session_row = "<" in line and ">" in line and line != raw
        # Only the table's titles and session rows: their padding follows the rows'
        # order and the PIDs' digits. Any other line must match byte for byte.
        if session_row or re.match(r"username +# ", line):
            line = re.sub(r" +", " ", line).rstrip(" ")
        if session_row:
            block.append(line)
            continue
        lines.extend(sorted(block))
        block = []
        lines.append(line)
    return lines + sorted(block)


def sessions_only(nat, rd):
    """True when two who/kick/proxy outputs differ only in the sessions' PIDs and order."""
    if nat.get("sessions") is None or rd.get("sessions") is None:
        return False
    return session_normal(nat["stdout"], nat["sessions"]) == session_normal(rd["stdout"], rd["sessions"])


def verifies(inst, hashed, password):
    r = subprocess.run(inst.native_argv() + ["pw", "-t", hashed, "-p", password],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
    return r.returncode == 0


def pw_params(scheme, h):
    """What of a hash is not salt or digest: the cost, rounds, version and memory
    parameters a `-r` or the scheme sets (bcrypt `$2y$05$`, SHA-crypt `$6$rounds=N$`,
    Argon2 `$argon2id$v=19$m=..,t=..,p=..$`, PBKDF2 `$1$salt$ROUNDS$hash`, SCRAM
    `ITER,salt,..`, OTP `ALGO SEQ seed hash`); for other schemes the length."""
    s = scheme.upper().strip("{}")
    if s.startswith("PBKDF2"):
        parts = h.split("$")
        return parts[:2] + parts[3:4]
    if s.startswith("SCRAM"):
        return h.split(",")[:1]
    if s.startswith("OTP"):
        return h.split(" ")[:2]
    if h.startswith("$"):
        parts = h.split("$")
        return parts[:-1] if parts[1:2] and parts[1].startswith("2") else parts[:-2]
    return len(h)


PW_HASH = re.compile(r"^(\{[A-Za-z0-9._-]+\})(\S+)( \(verified\))?$")


def pw_verified(inst, shell, nat, rd, password):
    """`doveadm pw` prints a hash with a random salt: the outputs are the same when each
    line has the same scheme (and `(verified)` mark) and native `doveadm pw -t` accepts
    rdoveadm's hash for the password the line hashed. Returns None or a short note."""
    if not re.match(r"doveadm pw\b", shell) or nat["rc"] != 0 or rd["rc"] != 0:
        return None
    nl, rl = nat["stdout"].decode("utf-8", "replace").split("\n"), rd["stdout"].decode("utf-8", "replace").split("\n")
    if len(nl) != len(rl):
        return None
    cmds = shell.split("\n")
    checked = 0
    for i, (a, b) in enumerate(zip(nl, rl)):
        if a == b:
            continue
        ma, mb = PW_HASH.match(a), PW_HASH.match(b)
        if not (ma and mb and ma.group(1) == mb.group(1) and ma.group(3) == mb.group(3)):
            return None
        if pw_params(ma.group(1), ma.group(2)) != pw_params(mb.group(1), mb.group(2)):
            return None  # another cost, rounds or algorithm: not just the salt
        m = re.search(r"-p (\S+)", cmds[min(i, len(cmds) - 1)])
        # The password native hashed (given with -p, read from stdin, or empty when an
        # earlier command of the script read stdin to its end); rdoveadm's hash must be
        # of the same one.
        candidates = [shlex.split(m.group(1))[0]] if m else [password, ""]
        pw = next((c for c in candidates if verifies(inst, ma.group(1) + ma.group(2), c)), None)
        if pw is None or not verifies(inst, mb.group(1) + mb.group(2), pw):
            return None
        checked += 1
    return f"{checked} hash(es) verified by doveadm pw -t" if checked else None


def first_diff(a, b):
    al, bl = a.split(b"\n"), b.split(b"\n")
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else None
        y = bl[i] if i < len(bl) else None
        if x != y:
            return {"line": i + 1,
                    "native": None if x is None else x.decode("utf-8", "replace")[:300],
                    "rdoveadm": None if y is None else y.decode("utf-8", "replace")[:300]}
    return None


def state_diff(a, b):
    def walk(x, y, path):
        if type(x) is not type(y):
            return f"{path}: native {json.dumps(x)[:200]} / rdoveadm {json.dumps(y)[:200]}"
        if isinstance(x, dict):
            for k in sorted(set(x) | set(y)):
                if k not in x or k not in y:
                    return (f"{path}/{k}: only {'native' if k in x else 'rdoveadm'} has it: "
                            f"{json.dumps(x[k] if k in x else y[k])[:200]}")
                d = walk(x[k], y[k], f"{path}/{k}")
                if d:
                    return d
            return None
        if x != y:
            return f"{path}: native {json.dumps(x)[:200]} / rdoveadm {json.dumps(y)[:200]}"
        return None
    return walk(a, b, "")


def err_line(b):
    lines = [l for l in b.decode("utf-8", "replace").split("\n") if l.strip()]
    return lines[0][:300] if lines else ""


QUIET = False
TIMEOUT = 30  # seconds per run of a line


def log(msg):
    if not QUIET:
        print(msg, file=sys.stderr, flush=True)


def run_version(version, args, overrides):
    lines = collect(version)
    if args.filter:
        rx = re.compile(args.filter)
        lines = [l for l in lines if rx.search(l["original"]) or rx.search(l["page"])]
    todo = []
    shells = set()
    for rec in lines:
        for label, shell, why in adapt_line(rec, overrides):
            if label and (args.no_variants or shell in shells):
                continue  # an option variant that another line already runs
            shells.add(shell)
            if args.everyday and (shell is None or command_label(api_name(shell) or [], None) not in EVERYDAY):
                continue
            r = dict(rec, variant=label)
            if label:
                r["kind"] = "option variant"
            r["adapted"] = shell
            if shell is None:
                if label:
                    continue
                r["skipped"] = why
                r["reason"] = f"skipped: {why}"
            todo.append(r)
    if args.list:
        return todo, {}
    log(f"==> Dovecot {version}: {len(todo)} lines; starting a sandbox")
    inst = Instance(REPO, version, CHROOT)
    meta = {"dovecot": inst.dovecot_version}
    try:
        inst.configure()
        inst.seed()
        api = inst.api_commands()
        home = os.path.join(inst.dir, "compat-home")
        os.makedirs(home, exist_ok=True)
        shims = write_shims(inst, args.rdoveadm, home)
        cache = {}
        for n, rec in enumerate(todo, 1):
            if rec["adapted"] is None:
                continue
            cmd = api_name(rec["adapted"]) or []
            rec["api"] = camel(cmd, api)
            rec["command"] = command_label(cmd, rec["api"])
            try:
                shell = expand(rec["adapted"], inst, cache)
            except Exception as e:  # a GUID lookup failed: the sandbox lacks what the line needs
                rec["adapted"], rec["skipped"] = None, f"cannot adapt: {e}"
                continue
            rec["run"] = shell
            if not re.search(r"[|;<>\n$]", shell):
                rec["argv"] = shlex.split(shell)
            # save reads the message, pw (no -p) the password twice, from stdin (not a tty)
            stdin = {"save": os.path.join(inst.work, "msg.eml"),
                     "pw": os.path.join(inst.work, "pw-input")}.get(cmd[0] if cmd else "")
            res = {}
            direct = {"native": {"argv": inst.native_argv(), "env": {}},
                      "rdoveadm": {"argv": [args.rdoveadm],
                                   # `pw` runs locally: the Dovecot version whose `pw` to follow
                                   "env": {"RDOVEADM_URL": inst.url, "RDOVEADM_API_KEY": inst.api_key,
                                           "RDOVEADM_DOVECOT_VERSION": inst.version}}}
            before, after = HOOKS.get(rec["command"], ([], []))
            try:
                for tool in ("native", "rdoveadm"):
                    for h in before:
                        inst.doveadm(*h, check=False)
                    res[tool] = run_one(inst, shell, shims[tool], home, stdin, direct[tool])
                    for h in after:
                        inst.doveadm(*h, check=False)
            except Exception as e:  # the sandbox misbehaved: record it, go on with the next line
                rec["adapted"], rec["skipped"] = None, f"suite error while running it: {e}"
                rec["reason"] = "skipped: " + rec["skipped"]
                log(f"[{version} {n}/{len(todo)}] ERROR {shell.splitlines()[0][:100]} -- {e}")
                continue
            nat, rd = res["native"], res["rdoveadm"]
            rec["native"] = {"exit": nat["rc"], "calls": nat["calls"], "stdout": nat["stdout"].decode("utf-8", "replace")[:1500],
                             "stderr": err_line(nat["stderr"]), "secs": nat["secs"]}
            rec["rdoveadm"] = {"exit": rd["rc"], "calls": rd["calls"], "stdout": rd["stdout"].decode("utf-8", "replace")[:1500],
                               "stderr": err_line(rd["stderr"]), "secs": rd["secs"]}
            # accepted: no doveadm call of the line exited 64 (EX_USAGE)
            rec["accepted_native"] = 64 not in nat["calls"] and nat["rc"] != 64
            rec["accepted_rdoveadm"] = 64 not in rd["calls"] and rd["rc"] != 64
            rec["identical"] = nat["stdout"] == rd["stdout"]
            # Not byte-identical, yet the same output: who/kick on sessions logged in again
            # for each tool; pw's random salts (rdoveadm's hash verified natively).
            rec["sessions_only"] = not rec["identical"] and sessions_only(nat, rd)
            if nat["sessions"] is not None:
                rec["sessions"] = {"native": nat["sessions"], "rdoveadm": rd["sessions"], "names": Instance.SESSION_NAMES}
            rec["pw_verified"] = None if rec["identical"] else pw_verified(inst, shell, nat, rd, PW_INPUT)
            rec["native_crashed"] = nat["rc"] < 0 and not nat["timed_out"] or any(c > 128 for c in nat["calls"])
            rec["native"]["timed_out"], rec["rdoveadm"]["timed_out"] = nat["timed_out"], rd["timed_out"]
            rec["same_sorted"] = sorted(nat["stdout"].split(b"\n")) == sorted(rd["stdout"].split(b"\n"))
            rec["same_exit"] = nat["rc"] == rd["rc"] and nat["calls"] == rd["calls"]
            sd = state_diff(nat["state"], rd["state"])
            rec["same_state"] = sd is None
            rec["state_diff"] = sd
            rec["first_diff"] = None if rec["identical"] else first_diff(nat["stdout"], rd["stdout"])
            rec["reason"] = report.reason(rec)
            mark = "ok " if (rec["identical"] and rec["same_exit"] and rec["same_state"]) else "DIFF"
            log(f"[{version} {n}/{len(todo)}] {mark} {shell.splitlines()[0][:100]}"
                + ("" if mark == "ok " else f"  -- {rec['reason'][:160]}"))
    finally:
        inst.stop()
    return todo, meta


def main(argv=None):
    ap = argparse.ArgumentParser(prog="compat", description=__doc__)
    ap.add_argument("--rdoveadm", help="the rdoveadm binary (default: target/debug/rdoveadm of this repo, "
                    "built with `cargo build --locked` if missing)")
    ap.add_argument("--version", dest="versions", action="append", choices=["2.3", "2.4"],
                    help="Dovecot version (repeatable; default both)")
    ap.add_argument("--filter", help="only lines (or man pages) matching this regex")
    ap.add_argument("--no-variants", action="store_true",
                    help="only the man pages' lines, not one run per option and formatter of each synopsis")
    ap.add_argument("--everyday", action="store_true",
                    help="only the everyday commands (who, kick, quota, mailbox list/status/create/delete, "
                    "expunge, fetch, search, user, reload, log errors, process status, stats dump)")
    ap.add_argument("--jobs", type=int, default=2, help="versions run at the same time (default 2)")
    ap.add_argument("--check-baseline", action="store_true",
                    help="exit 1 when a run that matched doveadm in compat.d/baseline.txt no longer does")
    ap.add_argument("--update-baseline", action="store_true",
                    help="rewrite compat.d/baseline.txt from this run (for the versions run)")
    ap.add_argument("--list", action="store_true", help="only extract and adapt the lines; start nothing")
    ap.add_argument("--json", help="write the results as JSON to this file")
    ap.add_argument("--report", help="write the text report to this file (it is always printed)")
    ap.add_argument("--readme", action="store_true", help="rewrite README.md's doveadm compatibility table")
    ap.add_argument("--from-json", help="don't run: report (and --readme) from this results file")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    ap.add_argument("--self-test", action="store_true",
                    help="only check the suite's own comparisons and reset (no Dovecot, a second)")
    args = ap.parse_args(argv)
    if args.self_test:
        import selftest  # noqa: E402 (it imports this module)
        return selftest.main()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    global QUIET
    QUIET = args.quiet

    t0 = time.time()
    if args.from_json:
        data = json.load(open(args.from_json))
    else:
        if not args.list:
            if not args.rdoveadm:
                args.rdoveadm = os.path.join(REPO, "target/debug/rdoveadm")
                if not os.path.exists(args.rdoveadm):
                    log("==> cargo build --locked")
                    subprocess.run(["cargo", "build", "--locked"], cwd=REPO, check=True)
            args.rdoveadm = os.path.abspath(args.rdoveadm)
            if os.geteuid() != 0:
                sys.exit("compat: must run as root (it starts sandbox Dovecots)")
        overrides = load_overrides(os.path.join(HERE, "overrides.txt"))
        data = {"versions": {}, "rdoveadm": args.rdoveadm, "started": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(t0))}
        versions = args.versions or ["2.3", "2.4"]
        if args.list or args.jobs < 2 or len(versions) < 2:
            for v in versions:
                lines, meta = run_version(v, args, overrides)
                data["versions"][v] = {"meta": meta, "lines": lines}
        else:
            ctx = multiprocessing.get_context("fork")
            with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx,
                                                        initializer=_child_signals) as ex:
                futs = {v: ex.submit(run_version, v, args, overrides) for v in versions}
                try:
                    for v in versions:
                        try:
                            lines, meta = futs[v].result()
                        except Exception as e:  # one version's failure keeps the other's results
                            log(f"==> Dovecot {v}: the run failed: {e!r}")
                            lines, meta = [], {"error": repr(e)}
                        data["versions"][v] = {"meta": meta, "lines": lines}
                except BaseException:
                    # Interrupted: each child stops its sandbox on SIGTERM.
                    for p in list(getattr(ex, "_processes", {}).values()):
                        p.terminate()
                    raise
        data["secs"] = round(time.time() - t0, 1)
        if args.list:
            for v, d in data["versions"].items():
                for l in d["lines"]:
                    print(f"{v} {l['page']} {l['kind']}{(' ' + l['variant']) if l['variant'] else ''}: {l['original']!r}\n    -> "
                          + (repr(l["adapted"]) if l["adapted"] else f"SKIP {l['skipped']}"))
            return 0
    text = report.text(data)
    rc = 0
    bpath = os.path.join(HERE, "baseline.txt")
    if args.check_baseline:
        regressions, improvements = baseline.check(bpath, data)
        text += "\n\n" + baseline.describe(regressions, improvements)
        rc = 1 if regressions else 0
    if args.update_baseline:
        baseline.update(bpath, data)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
    if args.readme:
        report.update_readme(os.path.join(REPO, "README.md"), data)
    return rc


def _child_signals():
    # SIGTERM ends a version's run through its `finally`: the sandbox is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
