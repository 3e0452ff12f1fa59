//! What a server can do, read from what it advertises (`GET /doveadm/v1`), not from a
//! version string. Dovecot 2.3 and 2.4 keep the same envelope but differ in commands
//! and parameters (e.g. `kick` has `force` on 2.3, `passdbField`/`destHost` on 2.4).

use std::collections::HashMap;

use super::Schema;

#[derive(Debug, Clone, Default)]
pub struct Features {
    commands: HashMap<String, Vec<(String, String)>>,
}

/// Optional features shown by `server info`: (name, command, parameter or "").
pub const KNOWN: &[(&str, &str, &str)] = &[
    ("kick --force", "kick", "force"),
    ("kick --passdb-field", "kick", "passdbField"),
    ("kick --dest-host", "kick", "destHost"),
    ("who --passdb-field", "who", "passdbField"),
    ("quota (plugin)", "quotaGet", ""),
    ("mailbox metadata", "mailboxMetadataGet", ""),
    ("director", "directorStatus", ""),
    ("replicator", "replicatorStatus", ""),
    ("batch", "batch", ""),
    ("indexer", "indexerAdd", ""),
    ("mail dict", "mailDictGet", ""),
    ("stats reopen", "statsReopen", ""),
    ("sieve (plugin)", "sieveList", ""),
    ("fts (plugin)", "ftsRescan", ""),
    ("acl (plugin)", "aclGet", ""),
];

impl Features {
    pub fn from_schema(schema: Schema) -> Features {
        Features {
            commands: schema.into_iter().collect(),
        }
    }

    pub fn command_count(&self) -> usize {
        self.commands.len()
    }

    pub fn has_command(&self, command: &str) -> bool {
        self.commands.contains_key(command)
    }

    pub fn has_param(&self, command: &str, param: &str) -> bool {
        self.commands
            .get(command)
            .is_some_and(|ps| ps.iter().any(|(p, _)| p == param))
    }

    /// The API generation these features point to, for messages: "2.4" when 2.4-only
    /// features are present, "2.3" when 2.3-only ones are, else "unknown".
    pub fn generation(&self) -> &'static str {
        if self.has_param("kick", "destHost")
            || self.has_command("indexerAdd")
            || self.has_command("statsReopen")
        {
            "2.4"
        } else if self.has_param("kick", "force")
            || self.has_command("directorStatus")
            || self.has_command("batch")
        {
            "2.3"
        } else {
            "unknown"
        }
    }

    /// A local usage error for an option the server lacks, naming the API generation.
    pub fn require_param(
        &self,
        command: &str,
        param: &str,
        option: &str,
    ) -> Result<(), crate::error::Error> {
        if self.has_param(command, param) {
            return Ok(());
        }
        Err(crate::error::Error::Usage(format!(
            "{option}: this server (Dovecot {} API) has no `{param}` for `{command}`; leave the option out",
            self.generation()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(kick: &[&str], extra: &[&str]) -> Schema {
        let mut s: Schema = vec![(
            "kick".into(),
            kick.iter()
                .map(|p| (p.to_string(), "string".to_string()))
                .collect(),
        )];
        s.extend(extra.iter().map(|c| (c.to_string(), vec![])));
        s
    }

    #[test]
    fn generation_from_features() {
        assert_eq!(
            Features::from_schema(schema(
                &["socketPath", "force", "mask"],
                &["directorStatus"]
            ))
            .generation(),
            "2.3"
        );
        assert_eq!(
            Features::from_schema(schema(
                &["socketPath", "passdbField", "destHost", "mask"],
                &["indexerAdd"]
            ))
            .generation(),
            "2.4"
        );
        assert_eq!(
            Features::from_schema(schema(&["mask"], &[])).generation(),
            "unknown"
        );
    }

    #[test]
    fn missing_param_is_a_usage_error_naming_the_generation() {
        let f = Features::from_schema(schema(
            &["socketPath", "passdbField", "destHost", "mask"],
            &["indexerAdd"],
        ));
        let e = f
            .require_param("kick", "force", "kick --force")
            .unwrap_err();
        assert_eq!(e.exit_code(), 64);
        assert!(e.to_string().contains("Dovecot 2.4 API"), "{e}");
        assert!(f.require_param("kick", "destHost", "--dest-host").is_ok());
    }
}
