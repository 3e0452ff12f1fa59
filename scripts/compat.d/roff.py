"""Extract doveadm command lines from Dovecot's roff man pages.

Two kinds of lines come out of a page:
  synopsis  paragraphs of the SYNOPSIS section, and the first paragraph of a
            .SS subsection (COMMANDS) when it starts with `doveadm`;
  example   lines starting with `doveadm` inside no-fill (.nf) blocks anywhere,
            joined over trailing backslashes and over pipelines (`|`, `do`, `done`).
A synopsis keeps its italic spans (placeholders) as <...>; an example is plain text.
"""

import gzip
import re

# \(xx and \[xxx] named characters seen in Dovecot's 2.3 and 2.4 pages.
NAMED = {
    "aq": "'", "dq": '"', "rs": "\\", "ti": "~", "Do": "$", "lB": "[", "rB": "]",
    "bu": "*", "em": "--", "en": "-", "hy": "-", "cq": "'", "oq": "'", "lq": '"',
    "rq": '"', "ha": "^", "ga": "`", "at": "@", "sh": "#", "ba": "|", "or": "|",
    "mi": "-", "pl": "+", "eq": "=", "lC": "{", "rC": "}", "la": "<", "ra": ">",
}

FONT_MACROS = {
    "B": ("B",), "I": ("I",), "R": ("R",),
    "BR": ("B", "R"), "RB": ("R", "B"), "BI": ("B", "I"), "IB": ("I", "B"),
    "IR": ("I", "R"), "RI": ("R", "I"),
}


def split_args(s):
    """roff macro arguments: whitespace-separated, double quotes group ("" is a quote)."""
    args, cur, inq, had = [], [], False, False
    i = 0
    while i < len(s):
        c = s[i]
        if inq:
            if c == '"':
                if i + 1 < len(s) and s[i + 1] == '"':
                    cur.append('"')
                    i += 2
                    continue
                inq = False
            else:
                cur.append(c)
        elif c == '"':
            inq, had = True, True
        elif c in " \t":
            if cur or had:
                args.append("".join(cur))
            cur, had = [], False
        elif c == "\\" and i + 1 < len(s) and s[i + 1] in " ~":
            cur.append("\\" + s[i + 1])
            i += 2
            continue
        else:
            cur.append(c)
        i += 1
    if cur or had:
        args.append("".join(cur))
    return args


class Text:
    """Accumulates (text, italic) runs of the current output line."""

    def __init__(self):
        self.runs = []
        self.font = "R"
        self.prev = "R"
        self.cont = False  # \c: the next input line continues this one without a space

    def set_font(self, f):
        if f in ("P",):
            self.font, self.prev = self.prev, self.font
        else:
            self.prev, self.font = self.font, f

    def add(self, s, font=None):
        """Adds roff text (inline escapes interpreted) in the current or given font."""
        saved = None
        if font is not None:
            saved = (self.font, self.prev)
            self.font = font
        i = 0
        buf = []

        def flush():
            if buf:
                self.runs.append(("".join(buf), self.font == "I"))
                buf.clear()

        while i < len(s):
            c = s[i]
            if c != "\\":
                buf.append(c)
                i += 1
                continue
            n = s[i + 1] if i + 1 < len(s) else ""
            if n == "f":
                flush()
                if s[i + 2:i + 3] == "[":
                    j = s.index("]", i)
                    f = s[i + 3:j] or "P"
                    i = j + 1
                elif s[i + 2:i + 3] == "(":
                    f = s[i + 3:i + 5]
                    i += 5
                else:
                    f = s[i + 2:i + 3]
                    i += 3
                f = {"1": "R", "2": "I", "3": "B", "CR": "R", "CW": "R"}.get(f, f)
                self.set_font(f)
                continue
            if n == "(":
                buf.append(NAMED.get(s[i + 2:i + 4], ""))
                i += 4
            elif n == "[":
                j = s.index("]", i)
                buf.append(NAMED.get(s[i + 2:j], ""))
                i = j + 1
            elif n in "-e\\":
                buf.append("-" if n == "-" else "\\")
                i += 2
            elif n in " ~0":
                buf.append(" ")
                i += 2
            elif n in "&|^)":
                i += 2
            elif n == "c" and i + 2 >= len(s):
                self.cont = True
                i += 2
            elif n == "*":
                i += 3
            else:
                buf.append(n)
                i += 2
        flush()
        if saved is not None:
            self.font, self.prev = saved

    def text(self, marked):
        out = []
        for t, it in self.runs:
            if marked and it and t.strip():
                lead = t[: len(t) - len(t.lstrip())]
                trail = t[len(t.rstrip()):]
                out.append(lead + "<" + t.strip() + ">" + trail)
            else:
                out.append(t)
        s = "".join(out)
        if marked:
            s = s.replace("><", "")
        return s


def read_page(path):
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def extract(path):
    """Returns [(kind, section, text)] for one man page; synopsis text marks italics <...>."""
    lines = read_page(path)
    out = []
    section = ""
    sub_first = False  # in a .SS whose first paragraph may be a synopsis
    nofill = False
    para = None  # Text of the current synopsis paragraph
    nf_lines = []  # rendered lines of the current .nf block

    def end_para():
        nonlocal para
        if para is not None:
            t = " ".join(para.text(True).split())
            t = t.replace("[ ", "[").replace(" ]", "]")
            if re.match(r"doveadm(\s|$)", t):  # not `doveadm-who(1), ...` (2.4's doveadm(1) list)
                out.append(("synopsis", section, t))
            para = None

    def end_nf():
        cmds = join_commands(nf_lines)
        for cmd in cmds:
            out.append(("example", section, cmd))
        if len(cmds) > 1:
            # The block as the man page shows it: one command after the other.
            out.append(("script", section, "\n".join(cmds)))
        nf_lines.clear()

    cur_nf = None
    for raw in lines:
        if raw.startswith(".\\\"") or raw.startswith("'\\\"") or raw == ".":
            continue
        if raw.startswith(".") or raw.startswith("'"):
            parts = raw[1:].strip().split(None, 1)
            if not parts:
                continue
            mac, rest = parts[0], (parts[1] if len(parts) > 1 else "")
            if mac == "SH":
                end_para()
                section = " ".join(split_args(rest)).upper()
                sub_first = False
                if section == "SYNOPSIS":
                    para = Text()
                continue
            if mac == "SS":
                end_para()
                sub_first = True
                para = Text()
                continue
            if mac in ("br", "PP", "P", "LP", "TP", "IP", "sp", "RS", "RE", "HP"):
                if para is not None and para.runs:
                    end_para()
                    if section == "SYNOPSIS":
                        para = Text()
                    elif mac != "br":
                        sub_first = False
                elif para is not None and section != "SYNOPSIS" and mac in ("TP", "IP"):
                    para = None
                continue
            if mac == "nf":
                nofill = True
                cur_nf = []
                continue
            if mac == "fi":
                if nofill and cur_nf is not None:
                    nf_lines.extend(cur_nf)
                    end_nf()
                nofill = False
                cur_nf = None
                continue
            if mac == "ft":
                tgt = para if para is not None else None
                if tgt is not None:
                    tgt.set_font(rest.strip() or "P")
                continue
            if mac in FONT_MACROS:
                fonts = FONT_MACROS[mac]
                args = split_args(rest)
                t = Text()
                if len(fonts) == 1:
                    t.add(" ".join(args), fonts[0])
                else:
                    for k, a in enumerate(args):
                        t.add(a, fonts[k % 2])
                if nofill:
                    cur_nf.append(t.text(False))
                elif para is not None:
                    sep = "" if (para.cont or not para.runs) else " "
                    para.runs.append((sep, False))
                    para.runs.extend(t.runs)
                    para.cont = t.cont
                continue
            continue  # other requests (.TH, .ad, .nh, ...) carry no command text
        if nofill:
            t = Text()
            t.add(raw)
            cur_nf.append(t.text(False))
        elif para is not None:
            sep = "" if (para.cont or not para.runs) else " "
            para.runs.append((sep, False))
            para.cont = False
            para.add(raw)
    end_para()
    if cur_nf:
        nf_lines.extend(cur_nf)
        end_nf()
    return out


def join_commands(block):
    """Command lines of a no-fill block: lines starting with `doveadm`, with their
    backslash continuations and the rest of a shell pipeline/loop."""
    cmds = []
    i = 0
    while i < len(block):
        line = block[i].rstrip()
        s = line.strip()
        if not re.match(r"doveadm\s", s):
            i += 1
            continue
        cmd = s
        i += 1
        depth = len(re.findall(r"\bdo\b", s)) - len(re.findall(r"\bdone\b", s))
        while i < len(block):
            if depth == 0 and not cmd.endswith(("\\", "|")) and re.match(r"while\s", block[i].strip()):
                # 2.4's doveadm-search(1) lost the `|` before its `while read` loop
                cmd += " |"
            if cmd.endswith("\\"):
                cmd = cmd[:-1].rstrip() + " " + block[i].strip()
            elif cmd.endswith("|") or depth > 0:
                nxt = block[i].strip()
                depth += len(re.findall(r"\bdo\b", nxt)) - len(re.findall(r"\bdone\b", nxt))
                cmd = cmd + "\n" + nxt
            else:
                break
            i += 1
        # 2.4's pages leave a stray `<` after some commands
        cmd = re.sub(r"<$", "", cmd).rstrip()
        cmds.append(cmd)
    return cmds
