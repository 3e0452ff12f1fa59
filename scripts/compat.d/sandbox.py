"""One throwaway Dovecot per version for the compatibility suite: started with
scripts/dovecot-sandbox, given a `/` hierarchy separator (the man pages' mailbox
names use it), seeded over IMAP, snapshotted and restored between runs, and read
back as a normalized end state."""

import hashlib
import imaplib
import json
import os
import poplib
import shutil
import subprocess
import time
import urllib.request
import base64

USERS = {
    "alice@example.org": "alicepw", "bob@example.org": "bobpw",
    "carol@example.org": "carolpw", "dave@other.test": "davepw",
}
PW_INPUT = "alicepw"  # what `doveadm pw` without -p reads from stdin
SEEDED = ["alice@example.org", "bob@example.org", "carol@example.org"]
MAILBOXES = ["Archive", "Archive/2011/09", "Spam", "Trash", "a_Box", "dovecot",
             "dovecot/pigeonhole", "Junk-old"]
SUBSCRIBED = ["INBOX", "dovecot", "dovecot/pigeonhole", "Archive"]


def message(n, subject, sender="sender@example.net", body=None, msgid=None, date="Tue, 20 Sep 2011 10:00:00 +0000"):
    body = body or f"Message {n}: {subject}\r\n"
    msgid = msgid or f"<m{n}@example.net>"
    return (f"From: {sender}\r\nTo: rcpt@example.org\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: {msgid}\r\n\r\n{body}").encode()


# (mailbox, message, flags, internal date)
SEED = [
    ("INBOX", message(1, "todo: release notes"), "", '"20-Sep-2011 10:00:00 +0000"'),
    ("INBOX", message(2, "hello there"), "\\Seen", '"21-Sep-2011 10:00:00 +0000"'),
    ("INBOX", message(3, "todo later", sender="foo@example.org"), "\\Flagged NonJunk", '"05-Oct-2011 10:00:00 +0000"'),
    ("INBOX", message(4, "big report", body="x" * 60000 + "\r\n"), "\\Seen $Forwarded", '"01-Jan-2020 10:00:00 +0000"'),
    ("Spam", message(5, "cheap pills"), "", '"01-Jan-2011 10:00:00 +0000"'),
    ("Spam", message(6, "more spam"), "\\Seen", '"02-Jan-2011 10:00:00 +0000"'),
    ("Trash", message(7, "deleted one"), "\\Deleted \\Seen", '"03-Jan-2011 10:00:00 +0000"'),
    ("a_Box", message(8, "dup", msgid="<dup@example.net>"), "", '"04-Jan-2011 10:00:00 +0000"'),
    ("a_Box", message(8, "dup", msgid="<dup@example.net>"), "", '"04-Jan-2011 10:00:00 +0000"'),
    ("a_Box", message(9, "single"), "", '"05-Jan-2011 10:00:00 +0000"'),
    ("dovecot", message(10, "todo: sieve"), "NonJunk", '"06-Jan-2011 10:00:00 +0000"'),
    ("dovecot/pigeonhole", message(11, "todo: pigeonhole"), "", '"07-Jan-2011 10:00:00 +0000"'),
    ("Archive", message(12, "old mail"), "\\Seen \\Answered", '"08-Jan-2010 10:00:00 +0000"'),
]


# The plugins doveadm-acl(1) and doveadm-fts(1) need, so that their lines run for real
# (without them doveadm says "Unknown command 'acl', but plugin acl exists", exit 75):
# (line of the sandbox's config to replace, its replacement, config to append).
# fts has no backend: 2.3.19.1's fts_squat makes every doveadm mail command segfault
# (in fts_mailbox_allocated), and 2.4.1 has none installed here (no flatcurve, solr).
# 2.3 loads fts without one (its commands run and answer "fts not enabled", exit 68);
# 2.4 leaves fts unloaded (both tools answer its lines with 75, the plugin is missing).
PLUGINS = {
    "2.3": ("mail_plugins = $mail_plugins quota\n", "mail_plugins = $mail_plugins quota acl fts\n",
            "\n# rdoveadm compat suite: doveadm-acl(1)\nplugin {\n  acl = vfile\n}\n"),
    "2.4": ("", "", "\n# rdoveadm compat suite: doveadm-acl(1)\nmail_plugins {\n  acl = yes\n}\nacl_driver = vfile\n"),
}

# ACL entries present before each run (`acl get/delete/remove` act on them): owner -> (mailbox, id, rights).
SEED_ACL = {
    "alice@example.org": ("INBOX", "user=bob@example.org", ["lookup", "read"]),
    "bob@example.org": ("INBOX", "user=alice@example.org", ["lookup", "read"]),
    "carol@example.org": ("INBOX", "user=bob@example.org", ["lookup", "read", "write"]),
}


class Instance:
    def __init__(self, repo, version, chroot="/var/cache/rdoveadm/dovecot24-chroot"):
        self.repo = repo
        self.version = version
        self.chroot = chroot if version == "2.4" else ""
        out = subprocess.run([os.path.join(repo, "scripts/dovecot-sandbox"), "start", "--version", version],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"dovecot-sandbox start --version {version} failed:\n{out.stderr}")
        self.vars = {}
        for line in out.stdout.splitlines():
            k, _, v = line.partition("=")
            self.vars[k] = v[1:-1].replace("'\\''", "'") if v.startswith("'") else v
        self.dir = self.vars["SANDBOX_DIR"]
        self.conf = self.vars["SANDBOX_CONF"]  # host path
        self.conf_in = self.conf[len(self.chroot):] if self.chroot else self.conf
        self.url = self.vars["RDOVEADM_URL"]
        self.api_key = self.vars["RDOVEADM_API_KEY"]
        self.password = self.vars["RDOVEADM_PASSWORD"]
        self.dovecot_version = self.vars["SANDBOX_DOVECOT_VERSION"]
        self.sessions = []
        self.session_pids = []  # server-side PID of each session, in SESSION_NAMES order
        self._prints = {}
        self._instances = None
        # A work dir that has the same path inside the chroot and on the host.
        base = os.path.join(self.chroot, "tmp") if self.chroot else "/tmp"
        real = os.path.join(base, f"rdoveadm-compat.{os.getpid()}.{version}")
        self.work = f"/tmp/rdoveadm-compat.{os.getpid()}.{version}"
        shutil.rmtree(real, ignore_errors=True)
        os.makedirs(real)
        os.chmod(real, 0o777)
        if self.chroot:
            if os.path.islink(self.work):
                os.unlink(self.work)
            os.symlink(real, self.work)
        self.work_real = real

    # -------------------------------------------------------------- native doveadm
    def native_argv(self):
        if self.chroot:
            return ["/usr/sbin/chroot", self.chroot, "/usr/bin/doveadm", "-c", self.conf_in]
        return ["/usr/bin/doveadm", "-c", self.conf_in]

    def doveadm(self, *args, check=True):
        r = subprocess.run(self.native_argv() + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def configure(self):
        """The man pages name mailboxes with `/` (Archive/2011/09): use it as separator."""
        was, now, extra = PLUGINS[self.version]
        conf = open(self.conf).read()
        if was:
            if was not in conf:
                raise RuntimeError(f"{self.conf} has no line {was.strip()!r} to add the acl/fts plugins to")
            conf = conf.replace(was, now, 1)
        with open(self.conf, "w") as f:
            f.write(conf + "\n# rdoveadm compat suite: the man pages' hierarchy separator\n"
                    "namespace inbox {\n  inbox = yes\n  separator = /\n}\n" + extra)
        self.doveadm("reload")
        self.wait_api()

    def wait_api(self, secs=15):
        deadline = time.time() + secs
        req = urllib.request.Request(self.url, headers={
            "Authorization": "X-Dovecot-API " + base64.b64encode(self.api_key.encode()).decode()})
        while True:
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    return json.load(r)
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

    def api_commands(self):
        return {c["command"] for c in self.wait_api()}

    def alive(self):
        pidf = os.path.join(self.dir, "run/master.pid")
        try:
            pid = int(open(pidf).read().strip())
            os.kill(pid, 0)
            return True
        except (OSError, ValueError):
            return False

    def restart_if_stopped(self):
        if self.alive():
            return False
        for _ in range(50):  # the old master may still be exiting
            if not os.path.exists(os.path.join(self.dir, "run/master.pid")):
                break
            time.sleep(0.1)
        cmd = (["/usr/sbin/chroot", self.chroot, "/usr/sbin/dovecot"] if self.chroot else ["/usr/sbin/dovecot"])
        subprocess.run(cmd + ["-c", self.conf_in], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        self.wait_api()
        return True

    # -------------------------------------------------------------- mail
    def imap(self, user):
        # 30 s: after failed logins (auth test lines) anvil's auth penalty delays the next ones
        m = imaplib.IMAP4("127.0.0.1", int(self.vars["SANDBOX_IMAP_PORT"]), timeout=30)
        m.login(user, USERS[user])
        return m

    def seed(self):
        for user in SEEDED:
            m = self.imap(user)
            for mb in MAILBOXES:
                m.create(mb)
            for mb in SUBSCRIBED:
                m.subscribe(mb)
            for mb, msg, flags, date in SEED:
                typ, data = m.append(mb, f"({flags})" if flags else None, date, msg)
                if typ != "OK":
                    raise RuntimeError(f"APPEND to {mb} failed: {data}")
            m.logout()
        for user in SEEDED:  # metadata for `mailbox metadata get/list/unset`
            self.doveadm("mailbox", "metadata", "set", "-u", user, "INBOX", "/private/comment", "seeded", check=False)
        for user, (mb, ident, rights) in SEED_ACL.items():
            self.doveadm("acl", "set", "-u", user, mb, ident, *rights)
        self.mailroot = os.path.join(self.dir, "mail")
        self.snapshot = os.path.join(self.dir, "compat-snapshot")
        subprocess.run(["cp", "-a", self.mailroot, self.snapshot], check=True)
        # Files the lines read or write (fs, save, log find): same fresh copy per run.
        self.work_template = os.path.join(self.dir, "compat-work")
        os.makedirs(os.path.join(self.work_template, "fs"), exist_ok=True)
        with open(os.path.join(self.work_template, "msg.eml"), "wb") as f:
            f.write(message(20, "saved by doveadm save"))
        with open(os.path.join(self.work_template, "fs", "file"), "w") as f:
            f.write("fs file contents\n")
        with open(os.path.join(self.work_template, "pw-input"), "w") as f:
            f.write(f"{PW_INPUT}\n{PW_INPUT}\n")  # doveadm pw: "Enter new password:", "Retype new password:"
        with open(os.path.join(self.work_template, "users"), "w") as f:
            f.write("alice@example.org\nbob@example.org\n")
        # A maildir to import from (doveadm import, dump): a copy of bob's seeded mail.
        subprocess.run(["cp", "-a", os.path.join(self.snapshot, "example.org", "bob"),
                        os.path.join(self.work_template, "backup")], check=True)
        subprocess.run(["chmod", "-R", "a+rwX", self.work_template], check=True)

    def guid(self, user, mailbox="INBOX"):
        out = self.doveadm("-f", "flow", "mailbox", "status", "-u", user, "guid", mailbox)
        for word in out.split():
            if word.startswith("guid="):
                return word[5:]
        raise RuntimeError(f"no GUID for {user} {mailbox}: {out!r}")

    def reset(self):
        """Mail store and work dir back to the seeded snapshot (only what changed:
        a tree whose names, sizes and mtimes match the snapshot's is left alone),
        and the instance list (`instance remove`) back to what the master wrote."""
        inst = os.path.join(self.dir, "state", "instances")
        if self._instances is None and os.path.exists(inst):
            self._instances = open(inst, "rb").read()
        if self._instances is not None and (not os.path.exists(inst) or open(inst, "rb").read() != self._instances):
            with open(inst, "wb") as f:
                f.write(self._instances)
        pairs = [(self.work_real, self.work_template)]
        for dom in sorted(set(os.listdir(self.snapshot)) | set(os.listdir(self.mailroot))):
            sd, ld = os.path.join(self.snapshot, dom), os.path.join(self.mailroot, dom)
            if not (os.path.isdir(sd) and os.path.isdir(ld)):
                pairs.append((self.mailroot, self.snapshot))
                break
            users = sorted(set(os.listdir(sd)) | set(os.listdir(ld)))
            pairs.extend((os.path.join(ld, u), os.path.join(sd, u)) for u in users)
        for live, snap in pairs:
            if not os.path.exists(snap):
                shutil.rmtree(live, ignore_errors=True)
                continue
            if snap not in self._prints:
                self._prints[snap] = fingerprint(snap)
            if settled_fingerprint(live) != self._prints[snap]:
                shutil.rmtree(live, ignore_errors=True)
                copy_tree(snap, live)

    # -------------------------------------------------------------- sessions (who, kick)
    def ensure_sessions(self):
        """alice IMAP x2, bob IMAP + POP3, carol IMAP; logged in again when kicked."""
        if self.sessions and all(self._session_alive(s) for s in self.sessions):
            return
        last = None
        for _ in range(5):  # a login right after a kick or a service restart may fail
            self.close_sessions()
            try:
                for user in ["alice@example.org", "alice@example.org", "bob@example.org", "carol@example.org"]:
                    self.sessions.append(("imap", self.imap(user)))
                p = poplib.POP3("127.0.0.1", int(self.vars["SANDBOX_POP3_PORT"]), timeout=30)
                self.sessions.append(("pop3", p))
                p.user("bob@example.org")
                p.pass_("bobpw")
                time.sleep(0.2)  # anvil learns of the logins asynchronously
                self.session_pids = [session_pid(c, int(self.vars["SANDBOX_POP3_PORT" if k == "pop3" else "SANDBOX_IMAP_PORT"]))
                                     for k, c in self.sessions]
                return
            except Exception as e:
                last = e
                time.sleep(0.5)
        raise RuntimeError(f"cannot log the who/kick sessions in: {last}")

    SESSION_NAMES = ["alice imap 1", "alice imap 2", "bob imap", "carol imap", "bob pop3"]

    def _session_alive(self, s):
        kind, c = s
        try:
            if kind == "imap":
                return c.noop()[0] == "OK"
            c.noop()
            return True
        except Exception:
            return False

    def close_sessions(self):
        for kind, c in self.sessions:
            try:
                if kind == "imap":
                    c.shutdown()
                else:
                    c.close()
            except Exception:
                pass
        self.sessions = []
        self.session_pids = []

    # -------------------------------------------------------------- end state
    def state(self):
        """Normalized end state: per user mailboxes, subscriptions, messages
        (uid, content hash, flags incl. keywords), metadata; plus the work dir."""
        st = {}
        # The indexer may still work after `index -q` returned: read a quiet store.
        settled_fingerprint(self.mailroot)
        for dom in sorted(os.listdir(self.mailroot)):
            for user in sorted(os.listdir(os.path.join(self.mailroot, dom))):
                us = user_state(os.path.join(self.mailroot, dom, user))
                # A user without mail whose home a command merely created (or is still
                # creating: the indexer works on after `index -q` returns) is no change.
                if us not in ({"mailboxes": {"INBOX": []}, "subscriptions": [], "metadata": ""},
                              {"mailboxes": {}, "subscriptions": [], "metadata": ""}):
                    st[f"{user}@{dom}"] = us
        st["(work dir)"] = work_state(self.work_real)
        return st

    def stop(self):
        self.close_sessions()
        subprocess.run([os.path.join(self.repo, "scripts/dovecot-sandbox"), "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work_real, ignore_errors=True)
        if self.chroot and os.path.islink(self.work):
            os.unlink(self.work)


def session_pid(client, server_port):
    """The PID of the imap/pop3 process serving this client connection (what anvil,
    and so `doveadm who`, reports): the process holding the server end of its socket."""
    sock = getattr(client, "sock", None)
    if sock is None:
        return None
    port = sock.getsockname()[1]
    want = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().split("\n")[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if len(f) > 9 and f[1].endswith(f":{server_port:04X}") and f[2].endswith(want):
                inodes.add(f"socket:[{f[9]}]")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
            if comm not in ("imap", "pop3"):
                continue
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                return int(pid)
        except OSError:
            continue
    return None


def is_index_file(name):
    """Dovecot's index, transaction log and cache files: they carry creation times,
    index ids and cache offsets, so two runs of the same command never write the
    same bytes; what they index (the messages, UIDs, flags) is compared instead."""
    return name.startswith(("dovecot.index", "dovecot.list.index"))


def work_state(root):
    """The work dir (files the lines read or write, e.g. import's source maildir):
    each file's content hash; Dovecot's index files only by presence."""
    work = {}
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for fn in sorted(files):
            p = os.path.join(d, fn)
            if is_index_file(fn):
                work[os.path.relpath(p, root)] = "(index file)"
                continue
            with open(p, "rb") as f:
                work[os.path.relpath(p, root)] = hashlib.sha1(f.read()).hexdigest()[:12]
    return work


def mailbox_guids(home):
    """Mailbox GUID -> name, from each maildir's dovecot-uidlist header (`G<guid>`)."""
    guids = {}
    dirs = [("INBOX", home)] + [(e[1:].replace(".", "/"), os.path.join(home, e))
                                for e in sorted(os.listdir(home)) if e.startswith(".") and e not in (".", "..")]
    for name, d in dirs:
        try:
            with open(os.path.join(d, "dovecot-uidlist"), encoding="utf-8", errors="replace") as f:
                header = f.readline().split()
        except OSError:
            continue
        guids.update({w[1:]: name for w in header if w.startswith("G") and len(w) == 33})
    return guids


def user_state(home):
    st = {"mailboxes": {}, "subscriptions": [], "metadata": ""}
    keywords = {}
    sub = os.path.join(home, "subscriptions")
    if os.path.exists(sub):
        lines = open(sub, encoding="utf-8", errors="replace").read().split("\n")
        # 2.3+ format: "V\t2\n\n" header, then tab-separated names
        names = [l.replace("\t", "/") for l in lines[1:] if l.strip()] if lines[:1] == ["V\t2"] else [l for l in lines if l]
        st["subscriptions"] = sorted(names)
    attr = os.path.join(home, "dovecot-attributes")
    if os.path.exists(attr):
        # Private keys name the mailbox by its GUID (`priv/<GUID>/comment`), and a
        # mailbox the command created has a new GUID in every run: name it instead.
        text = open(attr, "rb").read()
        for guid, name in mailbox_guids(home).items():
            text = text.replace(guid.encode(), f"<{name}>".encode())
        st["metadata"] = hashlib.sha1(text).hexdigest()[:12]
    acl_list = os.path.join(home, "dovecot-acl-list")
    if os.path.exists(acl_list) and os.path.getsize(acl_list):  # empty: written on any mailbox access
        # `<mailbox list stamp> <mailbox>` lines: the stamp is a time, the names are the state
        st["acl-list"] = sorted(l.split(" ", 1)[-1] for l in open(acl_list, encoding="utf-8", errors="replace")
                                .read().split("\n") if l.strip())
    dirs = [("INBOX", home)]
    for e in sorted(os.listdir(home)):
        if e.startswith(".") and e not in (".", "..") and os.path.isdir(os.path.join(home, e)):
            dirs.append((e[1:].replace(".", "/"), os.path.join(home, e)))
    for name, d in dirs:
        if not os.path.isdir(os.path.join(d, "cur")):
            continue
        aclf = os.path.join(d, "dovecot-acl")
        if os.path.exists(aclf):  # vfile ACLs (doveadm acl set/add/remove/delete)
            st.setdefault("acl", {})[name] = sorted(l for l in open(aclf, encoding="utf-8", errors="replace")
                                                   .read().split("\n") if l.strip())
        kw = {}
        kwf = os.path.join(d, "dovecot-keywords")
        if os.path.exists(kwf):
            for line in open(kwf, encoding="utf-8", errors="replace"):
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit():
                    kw[chr(ord("a") + int(parts[0]))] = parts[1]
        uids = {}
        ul = os.path.join(d, "dovecot-uidlist")
        if os.path.exists(ul):
            for line in open(ul, encoding="utf-8", errors="replace").read().split("\n")[1:]:
                if not line.strip():
                    continue
                head, _, fn = line.partition(":")
                uid = head.split()[0] if head.split() else "?"
                uids[fn.split(":2,")[0]] = uid
        msgs = []
        for sub in ("new", "cur"):
            for fn in os.listdir(os.path.join(d, sub)):
                base, _, flags = fn.partition(":2,")
                with open(os.path.join(d, sub, fn), "rb") as f:
                    h = hashlib.sha1(f.read()).hexdigest()[:10]
                fl = "".join(sorted(c for c in flags if c.isupper()))
                kws = sorted(kw.get(c, c) for c in flags if c.islower())
                msgs.append(f"uid={uids.get(base, 'new')} {h} flags={fl}{(' ' + ' '.join(kws)) if kws else ''}")
        st["mailboxes"][name] = sorted(msgs, key=lambda m: (len(m.split()[0]), m))
    return st


def fingerprint(root):
    """(relative path, type, size, mtime_ns, mode, uid) of everything under root. A
    file that vanishes while it is read (a lock file of the indexer, which works on
    after `index -q` returns) is recorded as vanished, so the tree reads as busy."""
    out = []
    if not os.path.exists(root):
        return None
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                out.append((os.path.relpath(p, root), "(vanished)", 0, 0, 0))
                continue
            out.append((os.path.relpath(p, root), st.st_mode, st.st_size if not os.path.isdir(p) else 0,
                        st.st_mtime_ns if not os.path.isdir(p) else 0, st.st_uid))
    return out


def busy(print_):
    """Whether a fingerprint shows a writer at work: a lock file, or one that vanished."""
    return bool(print_) and any(e[0].endswith(".lock") or e[1] == "(vanished)" for e in print_)


def settled_fingerprint(root, timeout=10.0):
    """The fingerprint once nobody writes under root: read again every 0.1 s until a
    read shows no lock file and nothing vanished, or `timeout` seconds have passed
    (then the last read). Only a busy tree waits: the usual reset costs one read."""
    fp = fingerprint(root)
    deadline = time.monotonic() + timeout
    while busy(fp) and time.monotonic() < deadline:
        time.sleep(0.1)
        fp = fingerprint(root)
    return fp


def copy_tree(src, dst):
    """cp -a without a process: contents, modes, owners, times."""
    def own(s, d):
        st = os.lstat(s)
        os.lchown(d, st.st_uid, st.st_gid)
    shutil.copytree(src, dst, symlinks=True, copy_function=shutil.copy2)
    own(src, dst)
    for d, dirs, files in os.walk(src):
        for n in dirs + files:
            s = os.path.join(d, n)
            own(s, os.path.join(dst, os.path.relpath(s, src)))
