//! Accounts in words: the names an organization's administrators gave its accounts
//! (`ACCOUNT_NAMES`, the template's `AccountNames`), and whether alerts name the account in
//! their subject (central mode: `ORGANIZATION_ID` set, or any name given).
//!
//! Pure: parsed once from configuration, read by [`crate::render`]. The names are the
//! administrator's, not the event's, but are held to the same rules as any text a subject
//! or a body carries (printable, bounded).

use std::collections::BTreeMap;

/// The longest account name AWS Organizations accepts (its `Name` is 1 to 50 characters).
pub const MAX_NAME_CHARS: usize = 50;

/// The account names, and whether subjects carry the account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    names: BTreeMap<String, String>,
    /// Alerts of several accounts arrive here (an organization's central stack): every
    /// subject says which account, by name if known, else by id.
    pub central: bool,
    /// The organization this is the central stack of (`ORGANIZATION_ID`): names are also
    /// looked up in AWS Organizations ([`crate::organizations`]).
    pub organization_id: Option<String>,
}

impl Accounts {
    /// No names, single-account subjects (what `render` uses).
    pub const NONE: Accounts = Accounts {
        names: BTreeMap::new(),
        central: false,
        organization_id: None,
    };

    /// Reads `ACCOUNT_NAMES` (`111122223333=prod-payments,444455556666=dev sandbox`: 12-digit
    /// ids, names of 1 to 50 printable characters without `,` or `=`) and whether this is an
    /// organization's central stack (`organization_id`, `o-` and 10 to 32 lowercase letters
    /// or digits, as AWS Organizations writes it).
    pub fn parse(names: Option<&str>, organization_id: Option<&str>) -> Result<Accounts, String> {
        let mut out = BTreeMap::new();
        for entry in names.unwrap_or("").split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let (id, name) = entry.split_once('=').ok_or_else(|| {
                format!("ACCOUNT_NAMES entry {entry:?} is not <12-digit account id>=<name>")
            })?;
            let (id, name) = (id.trim(), name.trim());
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "ACCOUNT_NAMES: {id:?} is not a 12-digit account id (in {entry:?})"
                ));
            }
            let chars = name.chars().count();
            if chars == 0
                || chars > MAX_NAME_CHARS
                || name.chars().any(|c| c.is_control() || c == '=')
            {
                return Err(format!(
                    "ACCOUNT_NAMES: the name of {id} must be 1 to {MAX_NAME_CHARS} printable \
                     characters without ',' or '=', not {name:?}"
                ));
            }
            if out.insert(id.to_string(), name.to_string()).is_some() {
                return Err(format!("ACCOUNT_NAMES names account {id} twice"));
            }
        }
        let organization_id = match organization_id.map(str::trim).filter(|o| !o.is_empty()) {
            None => None,
            Some(o) if is_organization_id(o) => Some(o.to_string()),
            Some(o) => {
                return Err(format!(
                    "ORGANIZATION_ID must be an organization id such as o-a1b2c3d4e5 \
                     (o- and 10 to 32 lowercase letters or digits), not {o:?}"
                ));
            }
        };
        Ok(Accounts {
            central: organization_id.is_some() || !out.is_empty(),
            names: out,
            organization_id,
        })
    }

    /// The name given to `account`, if any.
    pub fn name(&self, account: &str) -> Option<&str> {
        self.names.get(account).map(String::as_str)
    }

    /// How many accounts have a name.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// `o-` followed by 10 to 32 lowercase letters or digits (AWS Organizations' pattern).
pub fn is_organization_id(id: &str) -> bool {
    id.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_by_account_id() {
        let a = Accounts::parse(
            Some(" 111122223333=prod-payments, 444455556666 = dev sandbox ,"),
            None,
        )
        .unwrap();
        assert_eq!(a.name("111122223333"), Some("prod-payments"));
        assert_eq!(a.name("444455556666"), Some("dev sandbox"));
        assert_eq!(a.name("777788889999"), None);
        assert_eq!(a.len(), 2);
        assert!(a.central, "names given: subjects name the account");
    }

    #[test]
    fn nothing_given_is_a_single_account_stack() {
        assert_eq!(Accounts::parse(None, None).unwrap(), Accounts::NONE);
        assert_eq!(
            Accounts::parse(Some(" "), Some("")).unwrap(),
            Accounts::NONE
        );
    }

    #[test]
    fn an_organization_id_makes_it_central() {
        let a = Accounts::parse(None, Some("o-a1b2c3d4e5")).unwrap();
        assert!(a.central);
        assert!(a.is_empty());
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        for (names, org, says) in [
            (
                Some("111122223333"),
                None,
                "is not <12-digit account id>=<name>",
            ),
            (Some("1111=prod"), None, "is not a 12-digit account id"),
            (
                Some("11112222333x=prod"),
                None,
                "is not a 12-digit account id",
            ),
            (Some("111122223333="), None, "must be 1 to 50"),
            (Some("111122223333=a\u{7}b"), None, "printable"),
            (Some("111122223333=a=b"), None, "without"),
            (Some("111122223333=a,111122223333=b"), None, "twice"),
            (None, Some("o-short"), "ORGANIZATION_ID must be"),
            (None, Some("o-UPPERCASE123"), "ORGANIZATION_ID must be"),
            (None, Some("r-a1b2c3d4e5"), "ORGANIZATION_ID must be"),
        ] {
            let err = Accounts::parse(names, org).unwrap_err();
            assert!(err.contains(says), "{names:?} {org:?}: {err}");
        }
        let long = format!("111122223333={}", "n".repeat(MAX_NAME_CHARS + 1));
        assert!(Accounts::parse(Some(&long), None).is_err());
        let longest = format!("111122223333={}", "é".repeat(MAX_NAME_CHARS));
        assert!(Accounts::parse(Some(&longest), None).is_ok());
    }
}
