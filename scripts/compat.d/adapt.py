"""Turn man-page command lines into command lines for the sandbox.

A synopsis is made concrete: global options and optional groups are dropped
(except the user selector, which keeps its `-u user` form), the first of
alternatives is taken, and each <placeholder> gets a sandbox value. An example
keeps its words; the man pages' users and a few ids are mapped to the sandbox's.
Per-line exceptions live in overrides.txt (see its head).
"""

import re
import shlex

USER = "alice@example.org"
USER2 = "bob@example.org"

# Names the man pages use for people, and who plays them in the sandbox.
PEOPLE = {
    "jane": USER, "jane.doe@example.org": USER, "jane.roe@example.com": USER,
    "username@example.com": USER, "user@example.com": USER, "user@example.net": USER,
    "bob": USER2, "johnd@example.com": "carol@example.org",
    "john": "carol@example.org", "john@example.com": "carol@example.org",
    "foo": USER2, "pvo": "carol@example.org",
}

# The man pages' client addresses -> where the sandbox's sessions come from.
IPS = {"::1": "127.0.0.1", "192.0.2.0/24": "127.0.0.0/8", "192.0.2.143": "127.0.0.1"}

# Placeholder -> value. A callable gets (command words) and returns the value.
def _mailbox(cmd):
    if cmd[:2] == ["mailbox", "create"]:
        return "NewBox"
    if cmd[:2] in (["mailbox", "delete"], ["mailbox", "rename"]):
        return "Spam"
    return "INBOX"


def _fields(cmd):
    if cmd[:2] == ["mailbox", "status"]:
        return "messages unseen vsize"
    return "uid flags hdr.subject"


def _name(cmd):
    if cmd[:1] == ["stats"]:
        return "compat-metric"
    if cmd[:1] == ["instance"]:
        return "{INSTANCE}"
    return "INBOX"


def _command(cmd):
    return {"quota": "get", "flags": "add", "rebuild": "attachments"}.get(cmd[0] if cmd else "")


PLACEHOLDERS = {
    "user": lambda c: USER, "username": lambda c: USER, "usermask": lambda c: USER,
    "user_mask": lambda c: USER, "source_user": lambda c: USER2,
    "file": lambda c: "{USERS_FILE}",
    "mailbox": _mailbox, "name": _name,
    "old_name": lambda c: "Spam", "new_name": lambda c: "Junk",
    "destination": lambda c: None if c[:1] in (["sync"], ["backup"]) else "Archive",
    "search_query": lambda c: ["mailbox", "INBOX", "all"],
    "search": lambda c: ["mailbox", "INBOX", "all"],
    "fields": _fields, "flags": lambda c: "\\Seen",
    "command": _command,
    "ip": lambda c: "127.0.0.1",
    "min_timestamp": lambda c: "0", "scriptname": lambda c: None, "max_recent": lambda c: "10",
    "guid": lambda c: "0123456789abcdef0123456789abcdef",
    "directory": lambda c: "{WORK}",
    "mail-file": lambda c: "{WORK}/msg.eml",
    "field": lambda c: "home", "auth_info": lambda c: "service=imap",
    "path": lambda c: "{WORK}/fs/file",
    "source-path": lambda c: "{WORK}/fs/file", "dest-path": lambda c: "{WORK}/fs/copy",
    "input_path": lambda c: "{WORK}/msg.eml",
    "fs-driver": lambda c: "posix", "fs-args": lambda c: "",
    "config-filter-name": lambda c: None,
    "password": lambda c: "alicepw",
    "hash": lambda c: "{PLAIN}alicepw",
    "namespace": lambda c: None,
    # option values (only in option variants)
    "source_location": lambda c: "maildir:{WORK}/backup", "dest_parent": lambda c: "backup",
    # the sandbox seeds `user=bob@example.org lookup read` on alice's INBOX: add grants a new right
    "id": lambda c: "user=bob@example.org", "right": lambda c: "insert" if c[:2] == ["acl", "add"] else "lookup",
    "scriptname": lambda c: "compat",
    "host": lambda c: "127.0.0.1", "dest_host": lambda c: "127.0.0.1",
    "key": lambda c: "/private/comment", "value": lambda c: "compat", "key-prefix": lambda c: "/private",
    "query": lambda c: [],
    "service": lambda c: "indexer",  # not pop3/imap: who and kick need their sessions
    "kick": lambda c: "list",  # 2.4's `proxy <kick>|<list>`
    "string": lambda c: "compat metric", "filter": lambda c: "event=imap_command_finished",
    "socket_path": lambda c: "{BASE_DIR}/doveadm-server",
    "anvil_socket_path": lambda c: "{BASE_DIR}/anvil",
    "userdb_socket_path": lambda c: "{BASE_DIR}/auth-userdb",
    "master_socket_path": lambda c: "{BASE_DIR}/auth-master",
    "auth_socket_path": lambda c: "{BASE_DIR}/auth-client",
    "ipc_socket_path": lambda c: "{BASE_DIR}/ipc",
    "passdb_field": lambda c: "user",
    "scheme": lambda c: "SHA512-CRYPT", "rounds": lambda c: "5",  # the default scheme is BLF-CRYPT: a cost (2^5), not SHA-crypt rounds
}

GLOBAL_GROUPS = {"[-Dv]", "[<GLOBAL OPTIONS>]", "[-f <formatter>]", "[-Dv][-f <formatter>]"}


BOLD_PLACEHOLDERS = {"destination"}

# Placeholders left empty on purpose, and why.
NO_VALUE = {
    "destination": "needs a dsync peer (another server or location); not run",
    "config-filter-name": "needs a named fs/dict filter block in the config; the sandbox has none",
    "binary": "runs a local binary (doveadm exec); not run",
    "cryptokey": "needs the mail_crypt plugin; the sandbox has none",
    "plugin/mail_crypt_private_password=password": "needs the mail_crypt plugin; the sandbox has none",
    "type": "2.3.19's stats dump takes no <type> (the old stats); not run",
}

# Synopsis spellings made regular before parsing.
PRE_REWRITES = [
    ("<search>query", "<search_query>"),   # 2.3 mailbox cache remove
    ("<search query>", "<search_query>"),  # 2.4 mailbox cache remove
    ("<source_mail_driver>:<source_mail_path>", "<source_location>"),  # 2.4 import
]


class Skip(Exception):
    pass


def tokenize(s):
    """Synopsis text -> tokens: '[', ']', '|', '...', words, and ('PH', name)."""
    toks = []
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c in "[]|":
            toks.append(c)
            i += 1
        elif c == "<":
            j = s.index(">", i)
            k = j
            while k + 1 < len(s) and s[k + 1] == ">":  # 2.4's <<name>>
                k += 1
            for w in s[i + 1:j].lstrip("<").split():
                if w.strip(".") and not w.startswith("-"):
                    toks.append(("PH", w.rstrip(".")))
                elif w.startswith("-"):
                    toks.append(w)
            i = k + 1
        else:
            j = i
            while j < len(s) and not s[j].isspace() and s[j] not in "[]|<":
                j += 1
            w = s[i:j]
            if w in BOLD_PLACEHOLDERS:  # 2.4's copy/move synopses set it in bold
                toks.append(("PH", w))
                i = j
                continue
            if w.endswith("..."):
                w = w[:-3]
                if w:
                    toks.append(w)
                toks.append("...")
            else:
                toks.append(w)
            i = j
    return toks


def parse(toks, pos=0, close=None):
    """-> (node, pos); node = ('alt', [seq, ...]); seq = list of items;
    item = word | ('PH', name) | ('opt', node)."""
    alts = [[]]
    while pos < len(toks):
        t = toks[pos]
        if t == "[":
            sub, pos = parse(toks, pos + 1, "]")
            alts[-1].append(("opt", sub))
            continue
        if t == close:
            return ("alt", alts), pos + 1
        if t == "]":  # unbalanced: ignore
            pos += 1
            continue
        if t == "|":
            alts.append([])
        elif t == "...":
            pass
        else:
            alts[-1].append(t)
        pos += 1
    return ("alt", alts), pos


def has_user_opt(node):
    for seq in node[1]:
        if len(seq) > 1 and seq[0] == "-u" and isinstance(seq[1], tuple):
            return seq
    return None


def render(node, cmd, out):
    seq = node[1][0]
    for item in seq:
        if isinstance(item, tuple) and item[0] == "opt":
            u = has_user_opt(item[1])
            if u is not None:
                render(("alt", [u]), cmd, out)
            continue
        if isinstance(item, tuple) and item[0] == "PH":
            fn = PLACEHOLDERS.get(item[1])
            v = fn(cmd) if fn else None
            if v is None:
                raise Skip(NO_VALUE.get(item[1], f"no sandbox value for the placeholder <{item[1]}>"))
            if isinstance(v, list):
                out.extend(v)
            else:
                out.append(v)
            continue
        out.append(item)


def command_words(toks):
    """The doveadm command words (after `doveadm` and global options), for context."""
    words = []
    skip = 0
    depth = 0
    for t in toks[1:]:
        if t == "[":
            depth += 1
            continue
        if t == "]":
            depth -= 1
            continue
        if depth:
            continue
        if isinstance(t, tuple) or t.startswith("-") or t == "|":
            if words:
                break
            continue
        words.append(t)
    return words


# Commands whose options are not tried one by one (they need a dsync peer).
NO_VARIANTS = {"sync", "backup", "director", "replicator"}  # and no director/replicator runs here
FORMATS = ["tab", "flow"]
# Commands that print rows: tried with each formatter even where their synopsis omits -f.
PRINTING = {("who",), ("kick",), ("quota", "get"), ("mailbox", "list"), ("mailbox", "status"), ("fetch",),
            ("search",), ("user",), ("log", "errors"), ("process", "status"), ("stats", "dump"),
            ("service", "status")}


def adapt_synopsis(text):
    """Synopsis -> argv (list of words, first is `doveadm`): the minimal form."""
    return synopsis_variants(text)[0][1]


def synopsis_variants(text):
    """[(label, argv)]: the minimal form first (label ""), then one run per optional
    part (each alternative of an option group, e.g. `-7`, `-8`, `-A`) and, where the
    synopsis takes -f, one per formatter. Variants lacking a sandbox value are left out;
    the minimal form raises Skip instead."""
    s = text
    for a, b in PRE_REWRITES:
        s = s.replace(a, b)
    has_f = "[-f <formatter>]" in s  # 2.4's generic [GLOBAL OPTIONS] doesn't say whether it prints
    for g in sorted(GLOBAL_GROUPS, key=len, reverse=True):
        s = s.replace(g, " ")
    toks = tokenize(s)
    if not toks or toks[0] != "doveadm":
        raise Skip("not a doveadm line")
    words = command_words(toks)
    for t in toks:
        if isinstance(t, tuple) and t[1] in ("command", "mailbox_cmd", "sieve_cmd") and _command(words) is None:
            raise Skip("generic synopsis (a <command> placeholder), not a runnable line")
    node, _ = parse(toks)
    out = []
    render(node, words, out)
    variants = [("", out)]
    if words[:1] and words[0] in NO_VARIANTS:
        return variants
    seq = node[1][0]
    for i, item in enumerate(seq):
        if not (isinstance(item, tuple) and item[0] == "opt"):
            continue
        for alt in item[1][1]:
            if not alt:
                continue
            if has_user_opt(("alt", [alt])) is not None:
                continue  # already in the minimal form
            label = " ".join(a if isinstance(a, str) else f"<{a[1]}>" for a in alt
                             if not (isinstance(a, tuple) and a[0] == "opt"))
            new_seq = seq[:i] + alt + seq[i + 1:]
            v = []
            try:
                render(("alt", [new_seq]), words, v)
            except Skip:
                continue
            if words[:1] == ["save"] and label.startswith("-S"):
                continue  # doveadm save -S waits for the message on the server's side: hangs
            if v != out and all(v != x[1] for x in variants):
                variants.append((label, v))
    if has_f or tuple(words[:1]) in PRINTING or tuple(words[:2]) in PRINTING:
        for f in FORMATS:
            variants.append((f"-f {f}", [out[0], "-f", f] + out[1:]))
    return variants


# Example lines: the words stay; people and ids are mapped.
def map_word(w, prev):
    if prev == "-u" or w in PEOPLE:
        return PEOPLE.get(w, w)
    if re.fullmatch(r"[0-9a-f]{32}", w) and prev == "mailbox-guid":
        return "{GUID}"
    if w in IPS:
        return IPS[w]
    if w.endswith("@example.net") or w.endswith("@example.com"):
        return w.rsplit("@", 1)[0] + "@example.org"
    return w


def adapt_example(text):
    """Example line (possibly a pipeline) -> shell text for the sandbox."""
    if any(t in text for t in ("\n", "|", ">", "<", ";")):
        # A pipeline: map words inside it textually, keep the shell syntax.
        out = []
        for line in text.split("\n"):
            ws = line.split(" ")
            mapped = []
            prev = ""
            for w in ws:
                mapped.append(map_word(w, prev) if w else w)
                prev = w
            out.append(" ".join(mapped))
        return "\n".join(out)
    try:
        argv = shlex.split(text)
    except ValueError as e:
        raise Skip(f"not valid shell: {e}")
    out = []
    prev = ""
    for w in argv:
        out.append(map_word(w, prev))
        prev = w
    return " ".join(shlex.quote(w) for w in out)


def argv_to_shell(argv):
    return " ".join(w if re.fullmatch(r"\{[A-Z_]+\}(/[\w./-]*)?", w) else shlex.quote(w) for w in argv)
