//! GNU getopt's reading of a command's arguments, as doveadm does it: options may come
//! after the positional arguments (`flags add '\Seen' mailbox INBOX -u user`), short
//! options cluster (`-1u user`, `-uuser`), long ones take `--name=value` or
//! `--name value`, and `--` ends the options.

/// What an option is, as the command defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// A flag: no value.
    Flag,
    /// Takes a value (attached or the next argument).
    Value,
    /// Takes a value when attached, or when the next argument is a number
    /// (`who -w 5`; clap's `num_args = 0..=1`).
    Optional,
}

/// An option as written.
#[derive(Debug, Clone, Copy)]
pub enum Opt<'a> {
    Short(char),
    Long(&'a str),
}

/// One argument, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `-x` / `--name`, with its value when it takes one (`None`: it was missing).
    Short(char, Option<String>),
    Long(String, Option<String>),
    /// An option the command does not define (the whole argument).
    Unknown(String),
    Positional(String),
}

/// Reads `args` by `spec` (the arity of each option, `None` when undefined). With
/// `in_order` (doveadm's `CMD_FLAG_NO_UNORDERED_OPTIONS`) the first positional ends
/// the options. Options keep their order, and so do positionals.
pub fn parse(args: &[String], spec: &dyn Fn(Opt) -> Option<Arity>, in_order: bool) -> Vec<Item> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = args.iter().peekable();
    let mut options_done = false;
    while let Some(arg) = rest.next() {
        if options_done || arg == "-" || !arg.starts_with('-') {
            out.push(Item::Positional(arg.clone()));
            options_done |= in_order;
            continue;
        }
        if arg == "--" {
            options_done = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            match spec(Opt::Long(name)) {
                None => out.push(Item::Unknown(arg.clone())),
                Some(Arity::Flag) if attached.is_some() => out.push(Item::Unknown(arg.clone())),
                Some(Arity::Flag) => out.push(Item::Long(name.to_string(), None)),
                Some(Arity::Value) => {
                    let value = attached.or_else(|| rest.next().cloned());
                    out.push(Item::Long(name.to_string(), value));
                }
                Some(Arity::Optional) => {
                    let value = attached.or_else(|| take_number(&mut rest));
                    out.push(Item::Long(name.to_string(), value));
                }
            }
            continue;
        }
        for (i, c) in arg.char_indices().skip(1) {
            match spec(Opt::Short(c)) {
                None => {
                    out.push(Item::Unknown(arg.clone()));
                    break;
                }
                Some(Arity::Flag) => out.push(Item::Short(c, None)),
                Some(arity @ (Arity::Value | Arity::Optional)) => {
                    let attached = arg.get(i + c.len_utf8()..).unwrap_or("");
                    let value = if !attached.is_empty() {
                        Some(attached.to_string())
                    } else if arity == Arity::Value {
                        rest.next().cloned()
                    } else {
                        take_number(&mut rest)
                    };
                    out.push(Item::Short(c, value));
                    break;
                }
            }
        }
    }
    out
}

/// The next argument when it looks like a number (an optional value given apart).
fn take_number(rest: &mut std::iter::Peekable<std::slice::Iter<'_, String>>) -> Option<String> {
    rest.next_if(|a| a.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
        .cloned()
}

/// `args` with the options first and the positionals after a `--`, so that a parser
/// that stops at the first positional reads what GNU getopt would. An option clap or
/// the command does not define stays an option (its parser reports it).
pub fn permute(
    args: &[String],
    spec: &dyn Fn(Opt) -> Option<Arity>,
    in_order: bool,
) -> Vec<String> {
    let mut options = Vec::new();
    let mut positionals = Vec::new();
    for item in parse(args, spec, in_order) {
        match item {
            // A value that starts with `-` stays attached, so that it is not read as
            // an option (`--watch=-1`); others stand apart (clap does not read `-uVALUE`
            // when the command's positionals allow hyphens).
            Item::Short(c, Some(v)) if v.starts_with('-') => options.push(format!("-{c}{v}")),
            Item::Short(c, v) => {
                options.push(format!("-{c}"));
                options.extend(v);
            }
            Item::Long(n, Some(v)) => options.push(format!("--{n}={v}")),
            Item::Long(n, None) => options.push(format!("--{n}")),
            Item::Unknown(a) => options.push(a),
            Item::Positional(p) => positionals.push(p),
        }
    }
    if !positionals.is_empty() {
        options.push("--".into());
        options.extend(positionals);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(o: Opt) -> Option<Arity> {
        match o {
            Opt::Short('u' | 'f') | Opt::Long("user") => Some(Arity::Value),
            Opt::Short('1' | 's') | Opt::Long("dry-run") => Some(Arity::Flag),
            _ => None,
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_after_positionals_move_first() {
        assert_eq!(
            permute(
                &v(&["\\Seen", "mailbox", "INBOX", "-u", "bob"]),
                &spec,
                false
            ),
            v(&["-u", "bob", "--", "\\Seen", "mailbox", "INBOX"])
        );
        assert_eq!(
            permute(
                &v(&["x", "-1ubob", "--user=al", "--dry-run", "y"]),
                &spec,
                false
            ),
            v(&["-1", "-u", "bob", "--user=al", "--dry-run", "--", "x", "y"])
        );
    }

    #[test]
    fn double_dash_and_order_end_the_options() {
        assert_eq!(
            permute(&v(&["a", "--", "-u", "b"]), &spec, false),
            v(&["--", "a", "-u", "b"])
        );
        assert_eq!(
            permute(&v(&["-s", ":", "-u", "b"]), &spec, true),
            v(&["-s", "--", ":", "-u", "b"])
        );
        assert_eq!(
            permute(&v(&["--user=-1", "-u", "-x"]), &spec, false),
            v(&["--user=-1", "-u-x"])
        );
        assert_eq!(permute(&v(&["-"]), &spec, false), v(&["--", "-"]));
    }

    #[test]
    fn unknown_and_missing_values_are_kept_for_the_parser_to_report() {
        assert_eq!(
            parse(&v(&["-Zx", "--bogus", "-u"]), &spec, false),
            vec![
                Item::Unknown("-Zx".into()),
                Item::Unknown("--bogus".into()),
                Item::Short('u', None)
            ]
        );
        assert_eq!(permute(&v(&["-u"]), &spec, false), v(&["-u"]));
    }
}
