"""`scripts/compat --self-test`: the suite's own comparisons, checked without a Dovecot.
Each relaxed comparison (session PIDs/order, Dovecot index files in the work dir) must
still catch a real difference, and the reset between tools must restore the work dir
and the mail store (ACL files included)."""

import os
import shutil
import tempfile

import report
import runner
import sandbox

PIDS_A = [101, 102, 103, 104, 105]
PIDS_B = [201, 202, 203, 204, 205]


def who_table(pids, order, users=None):
    rows = {
        0: ("alice@example.org", "2", "imap", f"({pids[0]} {pids[1]})"),
        2: ("bob@example.org", "1", "imap", f"({pids[2]})"),
        3: ("carol@example.org", "1", "imap", f"({pids[3]})"),
        4: ("bob@example.org", "1", "pop3", f"({pids[4]})"),
    }
    rows = [rows[i] for i in order if users is None or rows[i][0] in users]
    w = len(rows[0][0]) if rows else 8  # doveadm's table: widths from the first row
    out = [f"{'username':<{w}} # proto (pids)  (ips)"]
    out += [f"{u:<{w}} {n} {p}  {pid} (127.0.0.1)" for u, n, p, pid in rows]
    return ("\n".join(out) + "\n").encode()


def same(a, pa, b, pb):
    return runner.sessions_only({"stdout": a, "sessions": pa}, {"stdout": b, "sessions": pb})


def check_sessions(fails):
    a = who_table(PIDS_A, [0, 2, 3, 4])
    if not same(a, PIDS_A, who_table(PIDS_B, [4, 3, 0, 2]), PIDS_B):
        fails.append("who: other PIDs and order not recognized as the same sessions")
    if not same(a, PIDS_A, who_table(PIDS_A, [3, 0, 4, 2]), PIDS_A):
        fails.append("who: same PIDs, other order not recognized")
    if same(a, PIDS_A, who_table(PIDS_B, [4, 3, 0, 2], users={"alice@example.org", "bob@example.org"}), PIDS_B):
        fails.append("who: a missing session row was hidden")
    if same(a, PIDS_A, who_table(PIDS_A, [0, 2, 3, 4]).replace(b"(101 102)", b"(101 999)"), PIDS_A):
        fails.append("who: a PID that is no session's was hidden")
    if same(a, PIDS_A, who_table(PIDS_B, [0, 2, 3, 4]).replace(b"imap", b"pop3", 1), PIDS_B):
        fails.append("who: a changed service was hidden")
    if same(a, PIDS_A, who_table(PIDS_A, [0, 2, 3, 4]), None):
        fails.append("who: compared as sessions without knowing the sessions")
    # Rows may not move from one command's output to another's (kick between two who).
    kick = b"bob@example.org kicked connections from the following users:\n\n"
    x = who_table(PIDS_A, [0, 4]) + kick + who_table(PIDS_A, [2])
    y = who_table(PIDS_B, [0, 2]) + kick + who_table(PIDS_B, [4])
    if same(x, PIDS_A, y, PIDS_B):
        fails.append("who/kick script: a row moved between two commands' outputs was hidden")
    if same(kick, PIDS_A, b" kicked connections from the following users:\n\n", PIDS_B):
        fails.append("kick: a missing user name was hidden")
    # Spaces count outside the table's title and session rows.
    if same(b"a  b\n", PIDS_A, b"a b\n", PIDS_A):
        fails.append("who: other spacing on a line that is no session row was hidden")


def check_pw_params(fails):
    """pw hashes may differ in salt and digest, never in cost, rounds or algorithm."""
    for scheme, a, b in [
        ("{CRYPT}", "$2y$05$" + "a" * 53, "$2y$10$" + "b" * 53),
        ("{SHA512-CRYPT}", "$6$rounds=5000$s1$h1", "$6$s2$h2"),
        ("{ARGON2ID}", "$argon2id$v=19$m=65536,t=3,p=1$s1$h1", "$argon2id$v=19$m=65536,t=4,p=1$s2$h2"),
        ("{PBKDF2}", "$1$s1$5000$h1", "$1$s2$6000$h2"),
        ("{SCRAM-SHA-1}", "4096,s1,a,b", "5000,s2,c,d"),
        ("{OTP}", "md5 9999 s1 h1", "sha1 9999 s2 h2"),
    ]:
        if runner.pw_params(scheme, a) == runner.pw_params(scheme, b):
            fails.append(f"pw: {scheme} {a} and {b} taken for the same parameters")
    for scheme, a, b in [
        ("{CRYPT}", "$2y$05$" + "a" * 53, "$2y$05$" + "b" * 53),
        ("{SHA512-CRYPT}", "$6$s1$h1", "$6$s2$h2"),
        ("{PBKDF2}", "$1$s1$5000$h1", "$1$s2$5000$h2"),
    ]:
        if runner.pw_params(scheme, a) != runner.pw_params(scheme, b):
            fails.append(f"pw: {scheme} hashes differing only in salt taken as different")


def maildir(root, flags="S"):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    with open(os.path.join(root, "cur", f"1.M1.host:2,{flags}"), "w") as f:
        f.write("Subject: one\r\n\r\nbody\r\n")
    with open(os.path.join(root, "dovecot-uidlist"), "w") as f:
        f.write("3 V1 N2\n1 1.M1.host\n")
    with open(os.path.join(root, "dovecot.index.cache"), "w") as f:
        f.write("cache written at 1\n")


def check_work_state(tmp, fails):
    base = os.path.join(tmp, "work")
    maildir(os.path.join(base, "backup"))
    st = sandbox.work_state(base)
    with open(os.path.join(base, "backup", "dovecot.index.cache"), "w") as f:
        f.write("cache written at 2, other offsets\n")
    with open(os.path.join(base, "backup", "dovecot.index.log"), "w") as f:
        f.write("log\n")
    st2 = sandbox.work_state(base)
    if runner.state_diff(st, st2) is None:
        fails.append("work dir: a new index file went unnoticed")
    with open(os.path.join(base, "backup", "dovecot.index.log"), "w") as f:
        f.write("other log bytes\n")
    if runner.state_diff(st2, sandbox.work_state(base)) is not None:
        fails.append("work dir: index file bytes (times, ids) compared")
    os.rename(os.path.join(base, "backup", "cur", "1.M1.host:2,S"), os.path.join(base, "backup", "cur", "1.M1.host:2,ST"))
    if runner.state_diff(st2, sandbox.work_state(base)) is None:
        fails.append("work dir: a changed message flag went unnoticed")


def check_metadata_guids(tmp, fails):
    """A mailbox's metadata key names it by GUID: a new mailbox's GUID differs between
    runs (named instead), but metadata on another mailbox must still differ."""
    def home(name, guids, key_mailbox, value="v"):
        h = os.path.join(tmp, name)
        maildir(h)
        for mb, guid in guids.items():
            d = h if mb == "INBOX" else os.path.join(h, "." + mb)
            maildir(d)
            with open(os.path.join(d, "dovecot-uidlist"), "w") as f:
                f.write(f"3 V1 N2 G{guid}\n1 1.M1.host\n")
        with open(os.path.join(h, "dovecot-attributes"), "w") as f:
            f.write(f"priv/{guids[key_mailbox]}/comment\n{value}\n")
        return sandbox.user_state(h)
    a = home("m1", {"INBOX": "1" * 32, "Work": "2" * 32}, "Work")
    b = home("m2", {"INBOX": "1" * 32, "Work": "3" * 32}, "Work")
    if a["metadata"] != b["metadata"]:
        fails.append("metadata: a new mailbox's GUID counted as a difference")
    c = home("m3", {"INBOX": "1" * 32, "Work": "2" * 32}, "INBOX")
    if a["metadata"] == c["metadata"]:
        fails.append("metadata: a key on another mailbox went unnoticed")
    d = home("m4", {"INBOX": "1" * 32, "Work": "2" * 32}, "Work", value="w")
    if a["metadata"] == d["metadata"]:
        fails.append("metadata: a changed value went unnoticed")


def check_reset(tmp, fails):
    """A fake instance (no Dovecot): reset() must bring the work dir and a user's mail
    (messages, ACL file) back to the template and snapshot."""
    inst = sandbox.Instance.__new__(sandbox.Instance)
    inst.dir = os.path.join(tmp, "inst")
    inst.mailroot = os.path.join(inst.dir, "mail")
    inst.snapshot = os.path.join(inst.dir, "snap")
    inst.work_real = os.path.join(inst.dir, "work")
    inst.work_template = os.path.join(inst.dir, "work-template")
    inst._prints, inst._instances = {}, None
    home = os.path.join(inst.snapshot, "example.org", "alice")
    maildir(home)
    with open(os.path.join(home, "dovecot-acl"), "w") as f:
        f.write("user=bob@example.org lr\n")
    maildir(os.path.join(inst.work_template, "backup"))
    shutil.copytree(inst.snapshot, inst.mailroot)
    shutil.copytree(inst.work_template, inst.work_real)
    seeded = inst.state()
    if seeded["alice@example.org"].get("acl") != {"INBOX": ["user=bob@example.org lr"]}:
        fails.append(f"state: the ACL file is not in alice's state: {seeded['alice@example.org']}")
    live = os.path.join(inst.mailroot, "example.org", "alice")
    with open(os.path.join(live, "dovecot-acl"), "w") as f:
        f.write("user=bob@example.org lrwi\n")
    if runner.state_diff(seeded, inst.state()) is None:
        fails.append("state: a changed ACL went unnoticed")
    with open(os.path.join(inst.work_real, "backup", "dovecot.index.cache"), "w") as f:
        f.write("written by the first tool\n")
    with open(os.path.join(inst.work_real, "backup", "dovecot.index.log"), "w") as f:
        f.write("written by the first tool\n")
    inst.reset()
    if sandbox.fingerprint(inst.work_real) != sandbox.fingerprint(inst.work_template):
        fails.append("reset: the work dir is not the template again")
    if runner.state_diff(seeded, inst.state()) is not None:
        fails.append(f"reset: state differs from the seeded one: {runner.state_diff(seeded, inst.state())}")
    if open(os.path.join(live, "dovecot-acl")).read() != "user=bob@example.org lr\n":
        fails.append("reset: the ACL file was not restored")


def check_settle(tmp, fails):
    """A tree with a writer at work (the indexer after `index -q`) is read once it is
    quiet: a lock file makes the read wait until it is gone, a file that vanishes
    mid-read is no error."""
    import threading
    import time
    root = os.path.join(tmp, "settle")
    os.makedirs(root)
    open(os.path.join(root, "dovecot-uidlist"), "w").close()
    lock = os.path.join(root, "dovecot-uidlist.lock")
    open(lock, "w").close()
    if not sandbox.busy(sandbox.fingerprint(root)):
        fails.append("settle: a lock file does not make the tree busy")
    threading.Timer(0.3, os.unlink, [lock]).start()
    start = time.monotonic()
    fp = sandbox.settled_fingerprint(root)
    waited = time.monotonic() - start
    if sandbox.busy(fp) or any(e[0].endswith(".lock") for e in fp) or waited < 0.25:
        fails.append(f"settle: read the tree while the lock was there ({waited:.2f} s): {fp}")
    if sandbox.busy([("dovecot-uidlist", "(vanished)", 0, 0, 0)]) is not True:
        fails.append("settle: a vanished file does not make the tree busy")


def check_exit_classes(fails):
    def rec(nat_exit, rd_exit, rd_err, crashed=None, nat_err=""):
        r = {"native": {"exit": nat_exit, "stderr": nat_err}, "rdoveadm": {"exit": rd_exit, "stderr": rd_err}}
        if crashed is not None:
            r["native_crashed"] = crashed
        return r
    cases = [
        (rec(0, 64, "rdoveadm: error: the server does not offer `pw` over its HTTP API (…)"), "api"),
        (rec(-11, 75, "rdoveadm: error: `kick`: the server's doveadm process ended", crashed=True), "crash"),
        (rec(-1, 0, "", crashed=False, nat_err="(timed out after 30 s)"), "other"),
        (rec(0, 68, "rdoveadm: error: no such mailbox"), "other"),
        (rec(75, 64, "rdoveadm: error: unrecognized subcommand 'fts'"), "other"),
    ]
    for r, want in cases:
        got = report.exit_class(r)
        if got != want:
            fails.append(f"exit class of {r}: {got}, want {want}")


def main():
    fails = []
    tmp = tempfile.mkdtemp(prefix="rdoveadm-compat-selftest.")
    try:
        check_sessions(fails)
        check_work_state(tmp, fails)
        check_pw_params(fails)
        check_metadata_guids(tmp, fails)
        check_reset(tmp, fails)
        check_settle(tmp, fails)
        check_exit_classes(fails)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in fails:
        print(f"FAIL {f}")
    print(f"compat self-test: {'ok' if not fails else f'{len(fails)} failure(s)'}")
    return 1 if fails else 0
