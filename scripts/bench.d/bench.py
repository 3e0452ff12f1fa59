#!/usr/bin/env python3
"""rdoveadm benchmark suite (called by scripts/bench; see BENCHMARKS.md).

Every timing figure is a ratio from *paired* runs in this same invocation: for
each pair, A and B run back to back in a random order, the pair's ratio is
t_A / t_B, and the figure is the median of the pair ratios. Medians of the raw
times are shown too. Sandbox Dovecots are started here and always stopped.

Benchmarks (select any subset on the command line; default: all):
  a  rdoveadm who  vs  curl posting the same request       target <= 0.8
  b  quota get -A on 5,000 users: rdoveadm (default --parallel) vs native
     doveadm (target <= 0.6) and vs rdoveadm --parallel 1 (reported);
     row counts checked once
  c  rdoveadm who on 8, 64, 256, 1,000 stand-in servers (50 ms each, no
     CPU; examples/standin.rs, or standin.py with BENCH_STANDIN=py) vs one:
     256 target <= 1.5, 1,000 target <= 3, peak RSS at 1,000 <= 64 MiB; with
     the CPU time of rdoveadm and of the stand-ins per run; references: the
     plainest client (standin --client) and curl --parallel on 1,000 vs one,
     and who on 8 real Dovecots vs one (same cores)
  d  peak RSS of rdoveadm rendering 50,000 search rows in each format
                                                            target <= 32 MiB
"""

import argparse
import datetime
import json
import os
import platform
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOX = os.path.join(ROOT, "scripts", "dovecot-sandbox")
RD = os.path.join(ROOT, "target", "release", "rdoveadm")
GNU_TIME = "/usr/bin/time"

MIB = 1024  # KiB per MiB


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ sandboxes

class Sandboxes:
    """Starts sandbox Dovecots and stops every one of them (also on error/signal)."""

    def __init__(self, version, state_file):
        self.version = version
        self.state_file = state_file
        self.dirs = []
        self.dovecot_versions = set()

    def start(self, users=0):
        cmd = [SANDBOX, "start", "--version", self.version]
        if users:
            cmd += ["--users", str(users)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        env = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            env[k] = shlex.split(v)[0] if v else ""
        self.dirs.append(env["SANDBOX_DIR"])
        self.dovecot_versions.add(env.get("SANDBOX_DOVECOT_VERSION", "?"))
        if self.state_file:
            with open(self.state_file, "a") as f:
                f.write(env["SANDBOX_DIR"] + "\n")
        return env

    def start_many(self, n, users=0):
        """Starts n instances concurrently (the sandbox script serialises port picking)."""
        procs = []
        for _ in range(n):
            cmd = [SANDBOX, "start", "--version", self.version]
            if users:
                cmd += ["--users", str(users)]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        envs, failed = [], False
        for p in procs:
            out, _ = p.communicate()
            env = {}
            for line in out.splitlines():
                k, _, v = line.partition("=")
                env[k] = shlex.split(v)[0] if v else ""
            if "SANDBOX_DIR" in env:
                self.dirs.append(env["SANDBOX_DIR"])
                self.dovecot_versions.add(env.get("SANDBOX_DOVECOT_VERSION", "?"))
                if self.state_file:
                    with open(self.state_file, "a") as f:
                        f.write(env["SANDBOX_DIR"] + "\n")
                envs.append(env)
            if p.returncode != 0:
                failed = True
        if failed:
            raise RuntimeError("a sandbox instance failed to start")
        return envs

    def stop(self, dirs=None):
        dirs = list(self.dirs if dirs is None else dirs)
        if not dirs:
            return
        # One stop per instance, concurrently: each waits for its master to exit.
        procs = [subprocess.Popen([SANDBOX, "stop", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for d in dirs]
        for p in procs:
            p.wait()
        self.dirs = [d for d in self.dirs if d not in dirs]


# ------------------------------------------------------------------ running

def base_env():
    """The caller's environment without any rdoveadm setting that could leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RDOVEADM_") and k != "NO_COLOR"}
    env["HOME"] = tempfile.gettempdir()  # no ~/.config/rdoveadm/config.toml of the caller
    env["XDG_CONFIG_HOME"] = os.path.join(tempfile.gettempdir(), "rdoveadm-bench-noconfig")
    return env


def run_timed(cmd, env, stdout=subprocess.DEVNULL, cpu=None):
    """Wall time of one run in seconds; fails loudly on a non-zero exit. When `cpu` is a
    list, the run's user+system CPU seconds (its own and its children's) are appended."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}: {err.read().decode(errors='replace')[-500:]}")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return t


def output_of(cmd, env, timeout=None):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
    return p.stdout.decode(errors="replace")


class Paired:
    """Result of paired runs of A and B."""

    def __init__(self, name_a, name_b, ta, tb, orders, ca=None, cb=None, load=None):
        self.name_a, self.name_b = name_a, name_b
        self.ta, self.tb, self.orders = ta, tb, orders
        self.ca, self.cb, self.load = ca or [], cb or [], load
        self.ratios = [a / b for a, b in zip(ta, tb)]

    @property
    def ratio(self):
        return statistics.median(self.ratios)

    def describe(self):
        r = sorted(self.ratios)
        q1, q3 = r[len(r) // 4], r[(3 * len(r)) // 4]
        return (f"{len(r)} pairs ({self.orders.count('AB')} A-first / {self.orders.count('BA')} B-first): "
                f"median ratio {self.ratio:.3f} (quartiles {q1:.3f}..{q3:.3f}, range {r[0]:.3f}..{r[-1]:.3f}); "
                f"median times A={fmt_s(statistics.median(self.ta))} B={fmt_s(statistics.median(self.tb))}"
                + (f"; median CPU (user+sys) A={fmt_s(statistics.median(self.ca))} B={fmt_s(statistics.median(self.cb))}"
                   if self.ca and self.cb else "")
                + (f"; load average {self.load:.1f} at the start" if self.load is not None else ""))


def fmt_s(t):
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def paired(name_a, cmd_a, env_a, name_b, cmd_b, env_b, pairs, warmup, rng):
    """Runs warm-ups, then `pairs` pairs of A and B in random order per pair."""
    load = os.getloadavg()[0]
    for _ in range(warmup):
        run_timed(cmd_a, env_a)
        run_timed(cmd_b, env_b)
    ta, tb, ca, cb, orders = [], [], [], [], []
    for _ in range(pairs):
        if rng.random() < 0.5:
            a = run_timed(cmd_a, env_a, cpu=ca)
            b = run_timed(cmd_b, env_b, cpu=cb)
            orders.append("AB")
        else:
            b = run_timed(cmd_b, env_b, cpu=cb)
            a = run_timed(cmd_a, env_a, cpu=ca)
            orders.append("BA")
        ta.append(a)
        tb.append(b)
    res = Paired(name_a, name_b, ta, tb, orders, ca, cb, load)
    log(f"  A = {name_a}\n         B = {name_b}\n         {res.describe()}")
    return res


# ------------------------------------------------------------------ live sessions

class ImapSessions:
    """Real IMAP logins held open so `who` has something to list."""

    def __init__(self):
        self.socks = []

    def login(self, port, user, password):
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        f = s.makefile("rb")
        f.readline()  # greeting
        s.sendall(f'a LOGIN "{user}" "{password}"\r\n'.encode())
        while True:
            line = f.readline()
            if not line:
                raise RuntimeError(f"IMAP login of {user} on port {port}: connection closed")
            if line.startswith(b"a "):
                if not line.startswith(b"a OK"):
                    raise RuntimeError(f"IMAP login of {user} on port {port}: {line!r}")
                break
        self.socks.append((s, f))

    def close(self):
        for s, f in self.socks:
            try:
                s.sendall(b"z LOGOUT\r\n")
            except OSError:
                pass
            f.close()
            s.close()
        self.socks = []


def wait_for_sessions(env, want, what):
    for _ in range(100):
        out = output_of([RD, "-f", "tab", "--no-header", "who", "-1"], env)
        n = len([l for l in out.splitlines() if l.strip()])
        if n >= want:
            return n
        time.sleep(0.1)
    raise RuntimeError(f"{what}: only {n} of {want} sessions visible to who")


# ------------------------------------------------------------------ benchmarks

def bench_a(sb, args, rng, results):
    log("(a) who vs curl: starting a sandbox Dovecot")
    e = sb.start()
    env = base_env()
    env.update(RDOVEADM_URL=e["RDOVEADM_URL"], RDOVEADM_PASSWORD=e["RDOVEADM_PASSWORD"])
    imap = ImapSessions()
    try:
        for user, pw in [("alice@example.org", "alicepw"), ("alice@example.org", "alicepw"),
                         ("bob@example.org", "bobpw"), ("carol@example.org", "carolpw")]:
            imap.login(e["SANDBOX_IMAP_PORT"], user, pw)
        n = wait_for_sessions(env, 4, "(a)")
        log(f"(a) {n} live IMAP sessions")
        rd = [RD, "-f", "tab", "who"]
        # Write the password to a curl config file so it is not on the command line;
        # same request body and endpoint as rdoveadm's.
        cfg = os.path.join(e["SANDBOX_DIR"], "etc", "bench-curl.cfg")
        with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(f'user = "doveadm:{e["RDOVEADM_PASSWORD"]}"\n')
        curl = ["curl", "-sS", "--fail", "-K", cfg, "-H", "Content-Type: application/json",
                "--data-binary", '[["who",{},"t"]]', e["RDOVEADM_URL"]]
        # Both must see the same sessions.
        rd_out = output_of(rd, env)
        curl_out = json.loads(output_of(curl, env))
        rd_rows = len(rd_out.splitlines()) - 1
        # Dovecot 2.3 puts rows 2.. of `who` after the result array ([["doveadmResponse",[r1],r2,...,"t"]]).
        curl_rows = -1
        if curl_out and curl_out[0][0] == "doveadmResponse":
            curl_rows = sum(len(x) if isinstance(x, list) else 1 for x in curl_out[0][1:-1])
        log(f"(a) rows: rdoveadm {rd_rows}, curl {curl_rows}")
        if rd_rows != curl_rows:
            raise RuntimeError(f"(a) rdoveadm shows {rd_rows} rows, curl {curl_rows}")
        res = paired("rdoveadm -f tab who", rd, env, "curl -u doveadm:PASS -d '[[\"who\",{},\"t\"]]'",
                     curl, env, args.pairs, args.warmup, rng)
        results.append(dict(bench="(a) `rdoveadm who` / `curl` (same request)", figure=res.ratio,
                            shown=f"{res.ratio:.2f}", target="≤ 0.8", ok=res.ratio <= 0.8, detail=res.describe()))
    finally:
        imap.close()
        sb.stop([e["SANDBOX_DIR"]])


def bench_b(sb, args, rng, results):
    users = args.bulk_users
    log(f"(b) quota get -A: starting a sandbox Dovecot with --users {users}")
    e = sb.start(users=users)
    try:
        env = base_env()
        env.update(RDOVEADM_URL=e["RDOVEADM_URL"], RDOVEADM_PASSWORD=e["RDOVEADM_PASSWORD"])
        native = shlex.split(e["SANDBOX_DOVEADM"]) + ["-f", "tab", "quota", "get", "-A"]
        rd = [RD, "-f", "tab", "quota", "get", "-A"]
        rd1 = rd + ["--parallel", "1"]
        fixed = sum(1 for _ in open(e["SANDBOX_USERS_FILE"])) - users
        want = 2 * (users + fixed)  # STORAGE + MESSAGE per user
        # Row counts, once (these runs also create the users' homes: a warm-up for all three).
        counts = {}
        for name, cmd in [("rdoveadm", rd), ("rdoveadm --parallel 1", rd1), ("native doveadm", native)]:
            t0 = time.perf_counter()
            out = output_of(cmd, env, timeout=600)
            counts[name] = len(out.splitlines()) - 1  # header
            log(f"(b) {name}: {counts[name]} rows in {fmt_s(time.perf_counter() - t0)} (first run)")
        same = len(set(counts.values())) == 1 and counts["rdoveadm"] == want
        results.append(dict(bench=f"(b) row count, `quota get -A` on {users:,} + {fixed} users",
                            figure=counts["rdoveadm"],
                            shown=" / ".join(f"{v:,}" for v in counts.values()) + " (rdoveadm / --parallel 1 / native)",
                            target=f"all = {want:,}", ok=same, detail=json.dumps(counts)))
        res = paired("rdoveadm -f tab quota get -A", rd, env, "doveadm -f tab quota get -A (native)", native, env,
                     args.pairs_b, 1, rng)
        results.append(dict(bench=f"(b) `quota get -A` {users:,} users: rdoveadm / native doveadm",
                            figure=res.ratio, shown=f"{res.ratio:.2f}", target="≤ 0.6", ok=res.ratio <= 0.6,
                            detail=res.describe()))
        res = paired("rdoveadm -f tab quota get -A", rd, env, "rdoveadm -f tab quota get -A --parallel 1", rd1, env,
                     args.pairs_b, 0, rng)
        results.append(dict(bench=f"(b) `quota get -A` {users:,} users: rdoveadm (default --parallel) / --parallel 1",
                            figure=res.ratio, shown=f"{res.ratio:.2f}", target="(reported)", ok=None,
                            detail=res.describe()))
    finally:
        sb.stop([e["SANDBOX_DIR"]])


STANDIN_PY = os.path.join(ROOT, "scripts", "bench.d", "standin.py")
# Built by scripts/bench (`cargo build --release --example standin`); BENCH_STANDIN=py
# uses the Python one instead.
STANDIN_RS = os.path.join(ROOT, "target", "release", "examples", "standin")
STANDIN_SIZES = (8, 64, 256, 1000)
STANDIN_DELAY = 0.05


def standin_cmd():
    if os.environ.get("BENCH_STANDIN", "rust") != "py" and os.access(STANDIN_RS, os.X_OK):
        return [STANDIN_RS], "Rust (examples/standin.rs)"
    return [sys.executable, STANDIN_PY], "Python (scripts/bench.d/standin.py)"


def proc_cpu(pid):
    """User+system CPU seconds a running process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Standins:
    """One stand-in process serving `count` ports; stopped on close."""

    def __init__(self, count, delay):
        cmd, self.kind = standin_cmd()
        self.proc = subprocess.Popen(cmd + ["--count", str(count), "--delay", str(delay)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ports = []
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                break
            self.ports.append(int(line))
        if len(self.ports) != count:
            self.close()
            raise RuntimeError(f"stand-ins: {len(self.ports)} of {count} ports opened")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def bench_c(sb, args, rng, results):
    bench_c_standins(args, rng, results)
    bench_c_dovecot(sb, args, rng, results)


def bench_c_standins(args, rng, results):
    """`who` on 8 ... 1,000 stand-ins (50 ms each, no CPU) vs one, and the peak RSS at 1,000."""
    most = max(STANDIN_SIZES)
    st = Standins(most, STANDIN_DELAY)
    log(f"(c) started {most:,} stand-in servers ({STANDIN_DELAY * 1000:.0f} ms each, one process, {st.kind})")
    try:
        d = tempfile.mkdtemp(prefix="rdoveadm-bench-fleet-")
        files = {}
        for n in (1,) + STANDIN_SIZES:
            files[n] = os.path.join(d, f"fleet-{n}.txt")
            with open(files[n], "w") as f:
                f.write("".join(f"http://127.0.0.1:{p}\n" for p in st.ports[:n]))
            os.chmod(files[n], 0o644)
        env = base_env()
        env["RDOVEADM_PASSWORD"] = "standin"

        def who(n):
            return [RD, "-f", "tab", "--servers-file", files[n], "who"]
        rows_one = len(output_of(who(1), env).splitlines()) - 1
        for n in STANDIN_SIZES:
            rows = len(output_of(who(n), env).splitlines()) - 1
            if rows != n * rows_one:
                raise RuntimeError(f"(c) {n} stand-ins show {rows} rows, expected {n} x {rows_one}")
        log(f"(c) rows: {rows_one} per stand-in, checked for {', '.join(map(str, STANDIN_SIZES))}")
        targets = {256: 1.5, 1000: 3.0}
        for n in STANDIN_SIZES:
            res = paired(f"rdoveadm --servers-file ({n} stand-ins) who", who(n), env,
                         "rdoveadm --servers-file (1 stand-in) who", who(1), env, args.pairs, args.warmup, rng)
            t = targets.get(n)
            # Where the CPU goes, which the load of others does not change much: rdoveadm's
            # own user+sys time and the stand-in process's, per run, over a few more runs.
            cpu_rd, cpu_st = [], []
            for _ in range(5):
                before = proc_cpu(st.proc.pid)
                run_timed(who(n), env, cpu=cpu_rd)
                cpu_st.append(proc_cpu(st.proc.pid) - before)
            cpu = (f"; CPU per run over 5 more runs (median): rdoveadm {fmt_s(statistics.median(cpu_rd))}, "
                   f"stand-ins {fmt_s(statistics.median(cpu_st))}")
            log(f"(c) {n} stand-ins{cpu}")
            results.append(dict(bench=f"(c) `who` on {n:,} stand-ins / on 1 (50 ms each)", figure=res.ratio,
                                shown=f"{res.ratio:.2f}", target=f"≤ {t}" if t else "(reported)",
                                ok=(res.ratio <= t) if t else None, detail=res.describe() + cpu))
        samples = [rss_kib(who(most), env, timed=True) for _ in range(args.rss_runs)]
        kib = statistics.median(s[0] for s in samples)
        one = rss_kib(who(1), env)
        log(f"(c) peak RSS on {most:,} stand-ins: {', '.join(str(s[0]) for s in samples)} KiB; one: {one} KiB")
        results.append(dict(bench=f"(c) peak RSS, `who` on {most:,} stand-ins", figure=kib,
                            shown=f"{kib / MIB:.1f} MiB", target="≤ 64 MiB", ok=kib <= 64 * MIB,
                            detail=f"KiB per run: {[s[0] for s in samples]}; median wall "
                                   f"{fmt_s(statistics.median(s[1] for s in samples))}; one stand-in {one / MIB:.1f} MiB"))
        # Reference, not a target: what this machine allows any client. The plainest one,
        # raw HTTP/1.1 on the same async runtime and no HTTP library (examples/standin.rs
        # --client), asking the same 1,000 stand-ins at once, vs asking one.
        if os.access(STANDIN_RS, os.X_OK):
            plain = [STANDIN_RS, "--client", files[most]]
            plain_1 = [STANDIN_RS, "--client", files[1]]
            ref = paired(f"standin --client ({most} stand-ins)", plain, env, "standin --client (1 stand-in)", plain_1,
                         env, args.pairs, args.warmup, rng)
            results.append(dict(bench=f"(c ref) plainest client (raw HTTP/1.1, tokio) on {most:,} stand-ins / on 1",
                                figure=ref.ratio, shown=f"{ref.ratio:.2f}", target="(reference)", ok=None,
                                detail=ref.describe()))
        # Reference, not a target: the most basic concurrent client on the same machine and
        # stand-ins, curl --parallel (all at once) on 1,000 vs one curl.
        cfg = os.path.join(d, "curl-fleet.cfg")
        with open(cfg, "w") as f:
            for p in st.ports[:most]:
                f.write(f'url = "http://127.0.0.1:{p}/doveadm/v1"\ndata = "[[\\"who\\",{{}},\\"t\\"]]"\n'
                        f'output = "/dev/null"\n')
        curl_n = ["curl", "-sS", "--fail", "--parallel", "--parallel-max", str(most), "-K", cfg]
        curl_1 = ["curl", "-sS", "--fail", "-o", "/dev/null", "--data-binary", '[["who",{},"t"]]',
                  f"http://127.0.0.1:{st.ports[0]}/doveadm/v1"]
        ref = paired(f"curl --parallel ({most} stand-ins)", curl_n, env, "curl (1 stand-in)", curl_1, env,
                     args.pairs, args.warmup, rng)
        results.append(dict(bench=f"(c ref) `curl --parallel` on {most:,} stand-ins / 1 `curl`", figure=ref.ratio,
                            shown=f"{ref.ratio:.2f}", target="(reference)", ok=None, detail=ref.describe()))
    finally:
        st.close()


def bench_c_dovecot(sb, args, rng, results):
    """Reference: `who` on 8 real sandbox Dovecots vs one, on this machine's cores."""
    n = 8
    log(f"(c) who across {n} instances: starting {n} sandbox Dovecots")
    envs = sb.start_many(n)
    imap = ImapSessions()
    try:
        cfgdir = tempfile.mkdtemp(prefix="rdoveadm-bench-")
        cfg = os.path.join(cfgdir, "config.toml")
        lines = []
        for i, e in enumerate(envs, 1):
            lines += [f"[servers.s{i}]", f'url = "{e["RDOVEADM_URL"]}"',
                      f'password_file = "{e["SANDBOX_PASSWORD_FILE"]}"', ""]
        lines += ["[groups.fleet]", "servers = [" + ", ".join(f'"s{i}"' for i in range(1, n + 1)) + "]", ""]
        with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("\n".join(lines))
        env = base_env()
        env["RDOVEADM_CONFIG"] = cfg
        # Two live sessions on every instance (alice and bob).
        for e in envs:
            imap.login(e["SANDBOX_IMAP_PORT"], "alice@example.org", "alicepw")
            imap.login(e["SANDBOX_IMAP_PORT"], "bob@example.org", "bobpw")
        for i in range(1, n + 1):
            wait_for_sessions({**env, "RDOVEADM_SERVER": f"s{i}"}, 2, f"(c) s{i}")
        fleet = [RD, "-s", "fleet", "-f", "tab", "who"]
        one = [RD, "-s", "s1", "-f", "tab", "who"]
        rows_fleet = len(output_of(fleet, env).splitlines()) - 1
        rows_one = len(output_of(one, env).splitlines()) - 1
        log(f"(c) rows: fleet {rows_fleet}, one {rows_one}")
        if rows_fleet != n * rows_one:
            raise RuntimeError(f"(c) fleet shows {rows_fleet} rows, expected {n} x {rows_one}")
        res = paired(f"rdoveadm -s fleet who ({n} servers)", fleet, env, "rdoveadm -s s1 who (1 server)", one, env,
                     args.pairs, args.warmup, rng)
        results.append(dict(bench=f"(c ref) `who` on {n} real Dovecots / on 1 (same 2 cores)", figure=res.ratio,
                            shown=f"{res.ratio:.2f}", target="(reference)", ok=None, detail=res.describe()))
        # Reference, not a target: the same 8-vs-1 comparison with plain concurrent curls,
        # i.e. what the servers and this machine allow a client that adds nothing.
        curl_cfgs = []
        for i, e in enumerate(envs, 1):
            c = os.path.join(cfgdir, f"curl-s{i}.cfg")
            with open(os.open(c, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(f'user = "doveadm:{open(e["SANDBOX_PASSWORD_FILE"]).read().strip()}"\n')
            curl_cfgs.append((c, e["RDOVEADM_URL"]))

        def curls(k):
            parts = [f"curl -sS --fail -K {shlex.quote(c)} -H 'Content-Type: application/json' "
                     f"--data-binary '[[\"who\",{{}},\"t\"]]' {shlex.quote(u)} >/dev/null &" for c, u in curl_cfgs[:k]]
            return ["sh", "-c", " ".join(parts) + " wait"]
        ref = paired(f"{n} concurrent curl (sh -c '... & wait')", curls(n), env, "1 curl (same sh wrapper)", curls(1),
                     env, args.pairs, args.warmup, rng)
        results.append(dict(bench=f"(c ref) {n} concurrent `curl` / 1 `curl` (same request)", figure=ref.ratio,
                            shown=f"{ref.ratio:.2f}", target="(reference)", ok=None, detail=ref.describe()))
    finally:
        imap.close()
        sb.stop([e["SANDBOX_DIR"] for e in envs])


def bench_d(sb, args, rng, results):
    nmsg = args.messages
    log(f"(d) peak RSS: starting a sandbox Dovecot, writing {nmsg:,} messages into alice's INBOX")
    e = sb.start()
    try:
        env = base_env()
        env.update(RDOVEADM_URL=e["RDOVEADM_URL"], RDOVEADM_PASSWORD=e["RDOVEADM_PASSWORD"])
        u = json.loads(output_of([RD, "-f", "json", "user", "alice@example.org"], env))
        u = u[0] if isinstance(u, list) else u
        home = u["home"]
        mail = u.get("mail") or u.get("mail_path") or ""
        # The sandbox uses `maildir:~` (2.3) / `mail_path = %{home}` (2.4): INBOX is the home itself.
        maildir = home
        if mail and "maildir:" in mail:
            loc = mail.split("maildir:", 1)[1].split(":", 1)[0]
            maildir = home if loc in ("~", "", home) else loc.replace("~", home)
        elif mail and mail.startswith("/"):
            maildir = mail
        host_root = e["SANDBOX_DIR"] if e.get("SANDBOX_VERSION") == "2.4" else ""
        if host_root:  # 2.4 runs in a chroot: the path Dovecot reports is inside it
            in_dir = "/srv/" + os.path.basename(e["SANDBOX_DIR"])
            maildir = e["SANDBOX_DIR"] + maildir[len(in_dir):]
        log(f"(d) alice: home {home}, mail {mail!r} -> INBOX maildir {maildir}")
        import pwd
        vm = pwd.getpwnam("vmail")
        if host_root:
            vuid = int(output_of(["chroot", os.path.dirname(os.path.dirname(e["SANDBOX_DIR"])), "id", "-u", "vmail"], env))
            vgid = int(output_of(["chroot", os.path.dirname(os.path.dirname(e["SANDBOX_DIR"])), "id", "-g", "vmail"], env))
        else:
            vuid, vgid = vm.pw_uid, vm.pw_gid
        t0 = time.perf_counter()
        for d in [os.path.dirname(maildir), maildir] + [os.path.join(maildir, s) for s in ("cur", "new", "tmp")]:
            os.makedirs(d, exist_ok=True)
            os.chown(d, vuid, vgid)
        cur = os.path.join(maildir, "cur")
        base_t = 1700000000
        for i in range(1, nmsg + 1):
            body = (f"From: bench{i % 97}@example.net\r\nTo: alice@example.org\r\n"
                    f"Subject: bench message {i}\r\nMessage-ID: <{i}.bench@example.net>\r\n"
                    f"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nbody {i}\r\n")
            p = os.path.join(cur, f"{base_t + i}.M{i}P1.bench:2,")
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, body.encode())
            os.close(fd)
            os.chown(p, vuid, vgid)
        log(f"(d) wrote {nmsg:,} files in {fmt_s(time.perf_counter() - t0)}")
        t0 = time.perf_counter()
        output_of([RD, "--timeout", "0", "index", "-u", "alice@example.org", "INBOX"], env, timeout=900)
        log(f"(d) rdoveadm index INBOX: {fmt_s(time.perf_counter() - t0)}")
        search = ["search", "-u", "alice@example.org", "mailbox", "INBOX", "all"]
        t0 = time.perf_counter()
        n = len(output_of([RD, "--timeout", "0", "-f", "tab", "--no-header", *search], env, timeout=900).splitlines())
        log(f"(d) first search: {n:,} rows in {fmt_s(time.perf_counter() - t0)}")
        if n != nmsg:
            raise RuntimeError(f"(d) search returned {n} rows, expected {nmsg}")
        # Baseline: RSS of a tiny command, for scale; and how RSS grows with the row count.
        base = rss_kib([RD, "-f", "tab", "who"], env)
        log(f"(d) baseline: rdoveadm -f tab who peak RSS {base / MIB:.1f} MiB")
        body = subprocess.run(["curl", "-sS", "--fail", "-u", f"doveadm:{e['RDOVEADM_PASSWORD']}",
                               "--data-binary", json.dumps([["search", {"user": "alice@example.org", "query":
                                                             ["mailbox", "INBOX", "all"]}, "t"]]),
                               e["RDOVEADM_URL"]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        log(f"(d) HTTP reply body of the search: {len(body):,} bytes")
        scaling = []
        for k in (nmsg // 5, nmsg // 2, nmsg):
            kib = rss_kib([RD, "--timeout", "0", "-f", "tab", "search", "-u", "alice@example.org",
                           "mailbox", "INBOX", "uid", f"1:{k}"], env)
            scaling.append((k, kib))
        per_row = (scaling[-1][1] - scaling[0][1]) / (scaling[-1][0] - scaling[0][0]) * 1024
        log("(d) -f tab RSS by rows: " + ", ".join(f"{k:,} rows {kib / MIB:.1f} MiB" for k, kib in scaling)
            + f" (~{per_row:.0f} bytes per row)")
        results.append(dict(bench="(d ref) `-f tab` peak RSS growth per row", figure=per_row,
                            shown=f"~{per_row:.0f} B/row", target="(reference)", ok=None,
                            detail="; ".join(f"{k:,} rows: {kib} KiB" for k, kib in scaling)
                                   + f"; `who` baseline {base} KiB; search reply body {len(body):,} bytes"))
        for fmt in ["table", "tab", "flow", "json", "jsonl"]:
            cmd = [RD, "--timeout", "0", "-f", fmt, *search]
            samples = [rss_kib(cmd, env, timed=True) for _ in range(args.rss_runs)]
            kib = statistics.median(s[0] for s in samples)
            wall = statistics.median(s[1] for s in samples)
            log(f"(d) -f {fmt}: peak RSS {', '.join(f'{s[0]}' for s in samples)} KiB "
                f"(median {kib / MIB:.1f} MiB), wall {fmt_s(wall)}")
            results.append(dict(bench=f"(d) peak RSS, `-f {fmt} search` {nmsg:,} rows", figure=kib,
                                shown=f"{kib / MIB:.1f} MiB", target="≤ 32 MiB", ok=kib <= 32 * MIB,
                                detail=f"KiB per run: {[s[0] for s in samples]}; median wall {fmt_s(wall)}; "
                                       f"baseline (who) {base / MIB:.1f} MiB"))
    finally:
        sb.stop([e["SANDBOX_DIR"]])


def rss_kib(cmd, env, timed=False):
    """Peak RSS (KiB) of cmd by GNU time -f %M, stdout to /dev/null."""
    with tempfile.NamedTemporaryFile("r", prefix="rdoveadm-bench-time-") as tf:
        t0 = time.perf_counter()
        p = subprocess.run([GNU_TIME, "-o", tf.name, "-f", "%M", *cmd], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
        kib = int(tf.read().strip().splitlines()[-1])
    return (kib, wall) if timed else kib


# ------------------------------------------------------------------ report

def machine_facts(dovecot_versions):
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    rdv = subprocess.run([RD, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout.strip()
    return [("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
            ("nproc", str(os.cpu_count())), ("CPU", cpu), ("memory", mem),
            ("kernel", platform.release()), ("Dovecot", ", ".join(sorted(dovecot_versions)) or "?"),
            ("rdoveadm", f"{rdv} (binary); worktree HEAD {commit}")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benches", nargs="*", metavar="a|b|c|d", help="benchmarks to run (default: all)")
    ap.add_argument("--version", default=os.environ.get("BENCH_DOVECOT", "2.3"), choices=["2.3", "2.4"],
                    help="sandbox Dovecot version (default 2.3; env BENCH_DOVECOT)")
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_PAIRS", 21)),
                    help="pairs for (a) and (c) (default 21; env BENCH_PAIRS)")
    ap.add_argument("--pairs-b", type=int, default=int(os.environ.get("BENCH_PAIRS_B", 10)),
                    help="pairs for each comparison of (b) (default 10; env BENCH_PAIRS_B)")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up runs of A and B before the pairs of (a), (c)")
    ap.add_argument("--bulk-users", type=int, default=5000, help="bulk users for (b) (default 5000)")
    ap.add_argument("--messages", type=int, default=50000, help="messages for (d) (default 50000)")
    ap.add_argument("--rss-runs", type=int, default=3, help="runs per format for (d) (default 3)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the A/B order (default: random)")
    ap.add_argument("--report", default=None, help="also write the markdown report to this file")
    args = ap.parse_args()
    if min(args.pairs, args.pairs_b) < 10:
        ap.error("at least 10 pairs are needed")
    bad = [b for b in args.benches if b not in ("a", "b", "c", "d")]
    if bad:
        ap.error(f"unknown benchmark(s) {' '.join(bad)}: choose from a b c d")
    benches = args.benches or ["a", "b", "c", "d"]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    sb = Sandboxes(args.version, os.environ.get("BENCH_STATE_FILE"))
    results, errors = [], []
    t_start = time.perf_counter()
    fns = dict(a=bench_a, b=bench_b, c=bench_c, d=bench_d)
    try:
        for b in benches:
            t0 = time.perf_counter()
            try:
                fns[b](sb, args, rng, results)
            except KeyboardInterrupt:
                raise
            except Exception as ex:  # one failed benchmark does not hide the others
                log(f"({b}) FAILED: {ex}")
                errors.append((b, str(ex)))
                results.append(dict(bench=f"({b}) failed", figure=None, shown=f"error: {ex}"[:200], target="-",
                                    ok=False, detail=""))
            log(f"({b}) took {fmt_s(time.perf_counter() - t0)}")
    finally:
        sb.stop()
    versions = sb.dovecot_versions
    total = time.perf_counter() - t_start

    out = []
    out.append("| benchmark | figure | target | pass/fail |")
    out.append("|---|---|---|---|")
    for r in results:
        verdict = "—" if r["ok"] is None else ("pass" if r["ok"] else "**FAIL**")
        out.append(f"| {r['bench']} | {r['shown']} | {r['target']} | {verdict} |")
    out.append("")
    out.append("Details (ratio = median over pairs of t_A/t_B; A is rdoveadm / the first named):")
    out.append("")
    for r in results:
        if r["detail"]:
            out.append(f"- {r['bench']}: {r['detail']}")
    out.append("")
    out.append("| machine | |")
    out.append("|---|---|")
    for k, v in machine_facts(versions):
        out.append(f"| {k} | {v} |")
    out.append(f"| A/B order seed | {seed} |")
    out.append(f"| benchmarks run | {' '.join(benches)} ({fmt_s(total)} incl. sandbox setup) |")
    text = "\n".join(out)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as ex:
        log(f"interrupted ({ex or 'SIGINT'}); sandboxes stopped")
        sys.exit(130)
