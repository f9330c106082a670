//! The per-call table: for each supported IAM call, which resource it changes, where
//! CloudTrail records that resource, and the words that say what happened.
//!
//! Adding a call: one row in [`CALLS`] (and, if the call is of a new shape, one arm in
//! [`resolve`]), one sample event in `events/`, one snapshot.

use crate::event::{Event, scalar_text};
use crate::policy;
use serde_json::Value;

/// The kind of the resource a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Policy,
    Role,
    User,
    Group,
    /// A SAML or OpenID Connect identity provider.
    IdentityProvider,
    /// Not an IAM resource we know: the notification links to the CloudTrail event.
    Other,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::IdentityProvider => "identity provider",
            Kind::Other => "resource",
        }
    }

    /// The `requestParameters` key that names a principal of this kind.
    fn name_key(self) -> &'static str {
        match self {
            Kind::Policy => "policyName",
            Kind::Role => "roleName",
            Kind::User => "userName",
            Kind::Group => "groupName",
            Kind::IdentityProvider | Kind::Other => "name",
        }
    }

    /// The key of this kind's object in a Create call's `responseElements`.
    fn response_key(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::IdentityProvider | Kind::Other => "resource",
        }
    }

    fn from_word(word: &str) -> Option<Kind> {
        match word {
            "policy" => Some(Kind::Policy),
            "role" => Some(Kind::Role),
            "user" => Some(Kind::User),
            "group" => Some(Kind::Group),
            "saml-provider" | "oidc-provider" => Some(Kind::IdentityProvider),
            _ => None,
        }
    }
}

/// The article's rule (and our extra rule groups) a call is matched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleGroup {
    /// The article's `policy-monitor` rule (16 calls).
    Policy,
    /// The article's `principals-monitor` rule (9 calls).
    Principal,
    /// Beyond the article: credentials of users.
    Credentials,
    /// Beyond the article: trust policies, permissions boundaries, group membership.
    TrustAndBoundaries,
    /// Beyond the article: SAML and OpenID Connect identity providers.
    IdentityProviders,
    /// Beyond the article: root console sign-in (any call by root is caught by its rule too).
    RootActivity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

/// How a call's record names what it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// CreatePolicy / DeletePolicy.
    ManagedPolicy(Change),
    /// CreatePolicyVersion / DeletePolicyVersion.
    PolicyVersion(Change),
    /// Put/Delete{Role,User,Group}Policy.
    InlinePolicy(Change, Kind),
    /// Attach{Role,User,Group}Policy (`true`) / Detach… (`false`).
    Attachment(bool, Kind),
    /// Create/Update/Delete{User,Group,Role}.
    Principal(Change, Kind),
    /// A credential of a user: `verb` `noun` `prep` user X.
    UserCredential {
        verb: &'static str,
        noun: &'static str,
        prep: &'static str,
        /// Where the credential's id is: `responseElements` path, else this request key.
        id_response: &'static [&'static str],
        id_request: &'static str,
    },
    /// UpdateAssumeRolePolicy.
    TrustPolicy,
    /// Put (`true`) / Delete{Role,User}PermissionsBoundary.
    Boundary(bool, Kind),
    /// AddUserToGroup (`true`) / RemoveUserFromGroup.
    Membership(bool),
    /// AddRoleToInstanceProfile.
    InstanceProfileRole,
    /// A SAML (`oidc: false`) or OpenID Connect provider: `verb` provider X.
    Provider { verb: &'static str, oidc: bool },
    /// ConsoleLogin (signin.amazonaws.com).
    ConsoleSignIn,
}

/// One supported call.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub name: &'static str,
    /// The `eventSource` the call is recorded with.
    pub source: &'static str,
    pub group: RuleGroup,
    pub shape: Shape,
    /// A severity rule (`severity::RULES`) the call fires by itself when it succeeds.
    pub flag: Option<&'static str>,
}

const IAM: &str = "iam.amazonaws.com";

const fn call(name: &'static str, group: RuleGroup, shape: Shape) -> Call {
    Call {
        name,
        source: IAM,
        group,
        shape,
        flag: None,
    }
}

impl Call {
    const fn flag(mut self, rule: &'static str) -> Call {
        self.flag = Some(rule);
        self
    }

    const fn source(mut self, source: &'static str) -> Call {
        self.source = source;
        self
    }
}

const fn credential(
    verb: &'static str,
    noun: &'static str,
    prep: &'static str,
    id_response: &'static [&'static str],
    id_request: &'static str,
) -> Shape {
    Shape::UserCredential {
        verb,
        noun,
        prep,
        id_response,
        id_request,
    }
}

use Change::{Create, Delete, Update};
use Kind::{Group, Role, User};
use RuleGroup as G;
use Shape::{Attachment, InlinePolicy, ManagedPolicy, PolicyVersion, Principal};

/// Every call with a specific rendering. The first 16 rows are the article's policy rule,
/// the next 9 its principal rule, in the article's order.
pub const CALLS: &[Call] = &[
    call("CreatePolicy", G::Policy, ManagedPolicy(Create)),
    call("DeletePolicy", G::Policy, ManagedPolicy(Delete)),
    call("PutGroupPolicy", G::Policy, InlinePolicy(Update, Group)),
    call("DeleteGroupPolicy", G::Policy, InlinePolicy(Delete, Group)),
    call("PutRolePolicy", G::Policy, InlinePolicy(Update, Role)),
    call("DeleteRolePolicy", G::Policy, InlinePolicy(Delete, Role)),
    call("PutUserPolicy", G::Policy, InlinePolicy(Update, User)),
    call("DeleteUserPolicy", G::Policy, InlinePolicy(Delete, User)),
    call("CreatePolicyVersion", G::Policy, PolicyVersion(Create)),
    call("DeletePolicyVersion", G::Policy, PolicyVersion(Delete)),
    call("AttachRolePolicy", G::Policy, Attachment(true, Role)),
    call("DetachRolePolicy", G::Policy, Attachment(false, Role)),
    call("AttachUserPolicy", G::Policy, Attachment(true, User)),
    call("DetachUserPolicy", G::Policy, Attachment(false, User)),
    call("AttachGroupPolicy", G::Policy, Attachment(true, Group)),
    call("DetachGroupPolicy", G::Policy, Attachment(false, Group)),
    call("CreateUser", G::Principal, Principal(Create, User)),
    call("CreateGroup", G::Principal, Principal(Create, Group)),
    call("CreateRole", G::Principal, Principal(Create, Role)),
    call("UpdateUser", G::Principal, Principal(Update, User)),
    call("UpdateGroup", G::Principal, Principal(Update, Group)),
    call("UpdateRole", G::Principal, Principal(Update, Role)),
    call("DeleteUser", G::Principal, Principal(Delete, User)),
    call("DeleteGroup", G::Principal, Principal(Delete, Group)),
    call("DeleteRole", G::Principal, Principal(Delete, Role)),
    // Credentials (template parameter MonitorCredentials).
    call(
        "CreateAccessKey",
        G::Credentials,
        credential(
            "created",
            "access key",
            "for",
            &["accessKey", "accessKeyId"],
            "",
        ),
    )
    .flag("new-credential"),
    call(
        "UpdateAccessKey",
        G::Credentials,
        credential(
            "changed the status of",
            "access key",
            "of",
            &[],
            "accessKeyId",
        ),
    ),
    call(
        "DeleteAccessKey",
        G::Credentials,
        credential("deleted", "access key", "of", &[], "accessKeyId"),
    ),
    call(
        "CreateLoginProfile",
        G::Credentials,
        credential(
            "created",
            "console password (login profile)",
            "for",
            &[],
            "",
        ),
    )
    .flag("new-credential"),
    call(
        "UpdateLoginProfile",
        G::Credentials,
        credential("changed", "console password (login profile)", "of", &[], ""),
    )
    .flag("new-credential"),
    call(
        "DeleteLoginProfile",
        G::Credentials,
        credential("deleted", "console password (login profile)", "of", &[], ""),
    ),
    call(
        "EnableMFADevice",
        G::Credentials,
        credential("enabled", "MFA device", "for", &[], "serialNumber"),
    ),
    call(
        "DeactivateMFADevice",
        G::Credentials,
        credential("deactivated", "MFA device", "of", &[], "serialNumber"),
    )
    .flag("mfa-removed"),
    call(
        "DeleteVirtualMFADevice",
        G::Credentials,
        credential("deleted", "virtual MFA device", "", &[], "serialNumber"),
    )
    .flag("mfa-removed"),
    call(
        "CreateServiceSpecificCredential",
        G::Credentials,
        credential(
            "created",
            "service-specific credential",
            "for",
            &["serviceSpecificCredential", "serviceSpecificCredentialId"],
            "",
        ),
    )
    .flag("new-credential"),
    call(
        "UploadSSHPublicKey",
        G::Credentials,
        credential(
            "uploaded",
            "SSH public key",
            "for",
            &["sSHPublicKey", "sSHPublicKeyId"],
            "",
        ),
    )
    .flag("new-credential"),
    // Trust and boundaries (MonitorTrustAndBoundaries).
    call(
        "UpdateAssumeRolePolicy",
        G::TrustAndBoundaries,
        Shape::TrustPolicy,
    ),
    call(
        "PutRolePermissionsBoundary",
        G::TrustAndBoundaries,
        Shape::Boundary(true, Role),
    ),
    call(
        "DeleteRolePermissionsBoundary",
        G::TrustAndBoundaries,
        Shape::Boundary(false, Role),
    )
    .flag("boundary-removed"),
    call(
        "PutUserPermissionsBoundary",
        G::TrustAndBoundaries,
        Shape::Boundary(true, User),
    ),
    call(
        "DeleteUserPermissionsBoundary",
        G::TrustAndBoundaries,
        Shape::Boundary(false, User),
    )
    .flag("boundary-removed"),
    call(
        "AddUserToGroup",
        G::TrustAndBoundaries,
        Shape::Membership(true),
    ),
    call(
        "RemoveUserFromGroup",
        G::TrustAndBoundaries,
        Shape::Membership(false),
    ),
    call(
        "AddRoleToInstanceProfile",
        G::TrustAndBoundaries,
        Shape::InstanceProfileRole,
    ),
    // Identity providers (MonitorIdentityProviders).
    call(
        "CreateSAMLProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "created",
            oidc: false,
        },
    )
    .flag("identity-provider-changed"),
    call(
        "UpdateSAMLProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "updated the metadata of",
            oidc: false,
        },
    )
    .flag("identity-provider-changed"),
    call(
        "DeleteSAMLProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "deleted",
            oidc: false,
        },
    ),
    call(
        "CreateOpenIDConnectProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "created",
            oidc: true,
        },
    )
    .flag("identity-provider-changed"),
    call(
        "DeleteOpenIDConnectProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "deleted",
            oidc: true,
        },
    ),
    call(
        "AddClientIDToOpenIDConnectProvider",
        G::IdentityProviders,
        Shape::Provider {
            verb: "added a client ID to",
            oidc: true,
        },
    )
    .flag("identity-provider-changed"),
    call(
        "UpdateOpenIDConnectProviderThumbprint",
        G::IdentityProviders,
        Shape::Provider {
            verb: "replaced the thumbprints of",
            oidc: true,
        },
    )
    .flag("identity-provider-changed"),
    // Root activity (MonitorRootActivity): console sign-in; root API calls render generically.
    call("ConsoleLogin", G::RootActivity, Shape::ConsoleSignIn).source("signin.amazonaws.com"),
];

/// The supported call recorded as `event_name` by `event_source`, if any.
pub fn lookup(event_source: &str, event_name: &str) -> Option<&'static Call> {
    CALLS
        .iter()
        .find(|c| c.name == event_name && c.source == event_source)
}

/// A managed policy a call refers to (attached, detached, versioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub name: String,
    pub arn: Option<String>,
}

impl PolicyRef {
    fn from_arn(arn: String) -> PolicyRef {
        PolicyRef {
            name: arn_name(&arn).unwrap_or(&arn).to_string(),
            arn: Some(arn),
        }
    }

    /// AWS managed policies live in the pseudo-account `aws`.
    pub fn is_aws_managed(&self) -> bool {
        self.arn
            .as_deref()
            .is_some_and(|a| a.split(':').nth(4) == Some("aws"))
    }
}

/// What a call did to which resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The resource the console link opens.
    pub kind: Kind,
    pub name: Option<String>,
    pub arn: Option<String>,
    /// The resource no longer exists (a successful delete): link to the list instead.
    pub gone: bool,
    /// A create that failed: the resource may not exist, link to the list.
    pub not_created: bool,
    /// The console section to open on the resource page (`permissions`, `versions`, …).
    pub section: Option<&'static str>,
    /// Lower-case sentence fragment: "attached managed policy X to role Y".
    pub summary: String,
    /// Short form for the subject: "X -> role Y".
    pub headline: String,
    pub policy: Option<PolicyRef>,
    /// A policy document in the request: (label, the document decoded).
    pub document: Option<(&'static str, policy::Document)>,
    /// Extra labelled facts ("Set as default", "Permissions boundary", …).
    pub facts: Vec<(&'static str, String)>,
    /// Severity rules this particular call fires (`severity::RULES` ids).
    pub flags: Vec<&'static str>,
}

const UNRECORDED: &str = "(name not recorded)";

/// Reads what `call` did from the record. Pure; never fails: what the record lacks is said.
pub fn resolve(event: &Event, call: &Call) -> Target {
    let failed = event.detail.error_code.is_some();
    let denied = denied_resource(event);
    let partition = partition(event);
    let account = event.account().map(str::to_string);
    // Name of a principal of `kind`: the request, else what the error message says.
    let principal_name = |kind: Kind| -> Option<String> {
        event.request(kind.name_key()).or_else(|| {
            denied
                .as_ref()
                .filter(|d| d.kind == kind)
                .map(|d| d.name.clone())
        })
    };
    let label = |name: &Option<String>| name.clone().unwrap_or_else(|| UNRECORDED.to_string());

    let mut t = Target {
        kind: Kind::Other,
        name: None,
        arn: None,
        gone: false,
        not_created: false,
        section: None,
        summary: String::new(),
        headline: String::new(),
        policy: None,
        document: None,
        facts: Vec::new(),
        flags: Vec::new(),
    };

    match call.shape {
        Shape::ManagedPolicy(change) => {
            let arn = event
                .response(&["policy", "arn"])
                .or_else(|| event.request("policyArn"))
                .or_else(|| denied_arn(&denied, Kind::Policy))
                .or_else(|| {
                    (change == Create).then(|| {
                        built_arn(
                            &partition,
                            &account,
                            "policy",
                            event,
                            principal_name(Kind::Policy),
                        )
                    })?
                });
            let name = event
                .request("policyName")
                .or_else(|| event.response(&["policy", "policyName"]))
                .or_else(|| arn.as_deref().and_then(arn_name).map(String::from));
            let n = label(&name);
            t.kind = Kind::Policy;
            t.summary = match change {
                Create => format!("created managed policy {n}"),
                _ => format!("deleted managed policy {n}"),
            };
            t.headline = n;
            t.gone = change == Delete && !failed;
            t.not_created = change == Create && failed;
            t.name = name;
            t.arn = arn;
            if change == Create {
                t.document = event
                    .request_value("policyDocument")
                    .map(|v| ("Policy document", policy::decode(v)));
                if let Some(d) = event.request("description") {
                    t.facts.push(("Description", d));
                }
            }
        }
        Shape::PolicyVersion(change) => {
            let arn = event
                .request("policyArn")
                .or_else(|| denied_arn(&denied, Kind::Policy));
            let policy = arn.map(PolicyRef::from_arn);
            let pname = policy.as_ref().map(|p| p.name.clone());
            let version = event
                .response(&["policyVersion", "versionId"])
                .or_else(|| event.request("versionId"));
            let n = label(&pname);
            let default = event
                .request_value("setAsDefault")
                .and_then(|v| match v {
                    Value::Bool(b) => Some(*b),
                    Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
                    _ => None,
                })
                .or_else(|| {
                    event
                        .response_value(&["policyVersion", "isDefaultVersion"])
                        .and_then(Value::as_bool)
                });
            let version_words = match &version {
                Some(v) => format!("policy version {v}"),
                None => "a new policy version".to_string(),
            };
            t.kind = Kind::Policy;
            t.section = Some("versions");
            match change {
                Create => {
                    let default_words = match default {
                        Some(true) => " (set as default)",
                        Some(false) => " (not set as default)",
                        None => "",
                    };
                    t.summary = format!("created {version_words} of policy {n}{default_words}");
                    t.headline = format!(
                        "{n} {}{}",
                        version.as_deref().unwrap_or("new version"),
                        if default == Some(true) {
                            " (default)"
                        } else {
                            ""
                        }
                    );
                    if let Some(d) = default {
                        t.facts
                            .push(("Set as default", if d { "yes" } else { "no" }.into()));
                    }
                    if default == Some(true) && !failed {
                        t.flags.push("default-version-changed");
                    }
                    t.document = event
                        .request_value("policyDocument")
                        .map(|v| ("Policy document", policy::decode(v)));
                }
                _ => {
                    let v = version.as_deref().unwrap_or("(version not recorded)");
                    t.summary = format!("deleted policy version {v} of policy {n}");
                    t.headline = format!("{n} {v}");
                }
            }
            if let Some(v) = version {
                t.facts.push(("Policy version", v));
            }
            t.name = pname;
            t.arn = policy.as_ref().and_then(|p| p.arn.clone());
        }
        Shape::InlinePolicy(change, kind) => {
            let principal = principal_name(kind);
            let pname = event.request("policyName");
            let (p, n) = (label(&pname), label(&principal));
            let k = kind.noun();
            t.summary = match change {
                Delete => format!("deleted inline policy {p} from {k} {n}"),
                _ => format!("put inline policy {p} on {k} {n}"),
            };
            t.headline = match change {
                Delete => format!("{p} from {k} {n}"),
                _ => format!("{p} on {k} {n}"),
            };
            t.kind = kind;
            t.name = principal;
            t.section = Some("permissions");
            t.facts.push(("Inline policy", p));
            if change != Delete {
                t.document = event
                    .request_value("policyDocument")
                    .map(|v| ("Policy document", policy::decode(v)));
            }
        }
        Shape::Attachment(attach, kind) => {
            let principal = principal_name(kind);
            let policy = event.request("policyArn").map(PolicyRef::from_arn);
            let (n, k) = (label(&principal), kind.noun());
            let (verb, prep, arrow) = if attach {
                ("attached", "to", "->")
            } else {
                ("detached", "from", "from")
            };
            match policy.as_ref().map(|p| &p.name) {
                Some(p) => {
                    t.summary = format!("{verb} managed policy {p} {prep} {k} {n}");
                    t.headline = format!("{p} {arrow} {k} {n}");
                }
                None => {
                    t.summary = format!("{verb} a managed policy (not recorded) {prep} {k} {n}");
                    t.headline = format!("{k} {n}");
                }
            }
            t.kind = kind;
            t.name = principal;
            t.section = Some("permissions");
            t.policy = policy;
        }
        Shape::Principal(change, kind) => {
            let k = kind.noun();
            let resp = kind.response_key();
            let name = principal_name(kind).or_else(|| event.response(&[resp, kind.name_key()]));
            let arn = event
                .response(&[resp, "arn"])
                .or_else(|| denied_arn(&denied, kind))
                .or_else(|| {
                    (change == Create)
                        .then(|| built_arn(&partition, &account, k, event, name.clone()))?
                });
            let n = label(&name);
            t.kind = kind;
            t.arn = arn;
            match change {
                Create => {
                    t.summary = format!("created {k} {n}");
                    t.headline = format!("{k} {n}");
                    t.not_created = failed;
                    t.name = name;
                    if kind == Role {
                        t.document = event
                            .request_value("assumeRolePolicyDocument")
                            .map(|v| ("Trust policy", policy::decode(v)));
                    }
                }
                Delete => {
                    t.summary = format!("deleted {k} {n}");
                    t.headline = format!("{k} {n}");
                    t.gone = !failed;
                    t.name = name;
                }
                Update => {
                    let new_name = event.request(match kind {
                        User => "newUserName",
                        _ => "newGroupName",
                    });
                    let new_name = if kind == Role { None } else { new_name };
                    let new_path = event.request("newPath");
                    let mut parts = Vec::new();
                    if let Some(nn) = &new_name {
                        parts.push(format!("renamed {k} {n} to {nn}"));
                    }
                    if let Some(np) = &new_path {
                        parts.push(if new_name.is_some() {
                            format!("moved it to path {np}")
                        } else {
                            format!("moved {k} {n} to path {np}")
                        });
                    }
                    let mut changes = Vec::new();
                    if let Some(d) = event.request("description") {
                        changes.push(format!("description set to \"{d}\""));
                    }
                    if let Some(m) = event.request("maxSessionDuration") {
                        changes.push(format!("maximum session duration set to {m} s"));
                    }
                    t.summary = if !parts.is_empty() {
                        parts.join(" and ")
                    } else if !changes.is_empty() {
                        format!("updated {k} {n}: {}", changes.join(", "))
                    } else {
                        format!("updated {k} {n}")
                    };
                    t.headline = match &new_name {
                        Some(nn) => format!("{k} {n} -> {nn}"),
                        None => format!("{k} {n}"),
                    };
                    if new_name.is_some() {
                        t.facts.push(("Previous name", n.clone()));
                        // Renamed: the old ARN no longer resolves; link to the new name.
                        t.arn = None;
                    }
                    t.name = new_name.filter(|_| !failed).or(name);
                }
            }
            if let Some(path) = event.request("path").filter(|p| p != "/") {
                t.facts.push(("Path", path));
            }
            if let Some(b) = event.request("permissionsBoundary") {
                t.facts.push(("Permissions boundary", b));
            }
            if change != Update {
                if let Some(d) = event.request("description") {
                    t.facts.push(("Description", d));
                }
            }
        }
        Shape::UserCredential {
            verb,
            noun,
            prep,
            id_response,
            id_request,
        } => {
            let user = principal_name(User).or_else(|| {
                event
                    .detail
                    .response_elements
                    .as_ref()
                    .and_then(|r| r.as_object())
                    .and_then(|o| o.values().find_map(|v| v.get("userName")))
                    .and_then(scalar_text)
            });
            let id = (!id_response.is_empty())
                .then(|| event.response(id_response))
                .flatten()
                .or_else(|| {
                    (!id_request.is_empty())
                        .then(|| event.request(id_request))
                        .flatten()
                });
            let thing = match &id {
                Some(id) => format!("{noun} {id}"),
                None => noun.to_string(),
            };
            let whose = match &user {
                Some(u) => format!("user {u}"),
                None => "the calling user".to_string(),
            };
            t.summary = match (&user, prep) {
                // Calls that do not record the user (DeleteVirtualMFADevice).
                (None, "") => format!("{verb} {thing}"),
                _ => format!("{verb} {thing} {prep} {whose}"),
            };
            t.headline = match (&user, &id) {
                (None, Some(id)) if prep.is_empty() => id.clone(),
                _ => whose,
            };
            match (&user, &id) {
                // The record names only the device (DeleteVirtualMFADevice): that is the resource.
                (None, Some(device)) if prep.is_empty() => {
                    t.kind = Kind::Other;
                    t.name = Some(device.clone());
                    t.arn = device.starts_with("arn:").then(|| device.clone());
                }
                _ => {
                    t.kind = User;
                    t.name = user;
                    t.section = Some("security_credentials");
                }
            }
            if let Some(status) = event
                .request("status")
                .or_else(|| event.response(&["accessKey", "status"]))
            {
                t.facts.push(("Key status", status));
            }
            if let Some(r) = event.request("passwordResetRequired") {
                t.facts.push(("Password reset required", r));
            }
            if let Some(service) = event.request("serviceName") {
                t.facts.push(("Service", service));
            }
        }
        Shape::TrustPolicy => {
            let role = principal_name(Role);
            let n = label(&role);
            t.summary = format!("replaced the trust policy of role {n}");
            t.headline = format!("role {n}");
            t.kind = Role;
            t.name = role;
            t.section = Some("trust_relationships");
            t.document = event
                .request_value("policyDocument")
                .map(|v| ("Trust policy", policy::decode(v)));
        }
        Shape::Boundary(put, kind) => {
            let principal = principal_name(kind);
            let (n, k) = (label(&principal), kind.noun());
            let boundary = event.request("permissionsBoundary");
            let b = boundary
                .as_deref()
                .and_then(arn_name)
                .unwrap_or("(not recorded)")
                .to_string();
            if put {
                t.summary = format!("set the permissions boundary of {k} {n} to {b}");
                t.headline = format!("{b} -> {k} {n}");
            } else {
                t.summary = format!("removed the permissions boundary of {k} {n}");
                t.headline = format!("{k} {n}");
            }
            if let Some(arn) = boundary {
                t.facts.push(("Permissions boundary", arn));
            }
            t.kind = kind;
            t.name = principal;
            t.section = Some("permissions");
        }
        Shape::Membership(add) => {
            let group = principal_name(Group);
            let user = principal_name(User);
            let (g, u) = (label(&group), label(&user));
            t.summary = if add {
                format!("added user {u} to group {g}")
            } else {
                format!("removed user {u} from group {g}")
            };
            t.headline = if add {
                format!("user {u} -> group {g}")
            } else {
                format!("user {u} from group {g}")
            };
            t.facts.push(("User", u));
            t.kind = Group;
            t.name = group;
            t.section = Some("users");
        }
        Shape::InstanceProfileRole => {
            let role = principal_name(Role);
            let profile = event.request("instanceProfileName");
            let (r, p) = (label(&role), label(&profile));
            t.summary = format!("added role {r} to instance profile {p}");
            t.headline = format!("role {r} -> instance profile {p}");
            t.facts.push(("Instance profile", p));
            t.kind = Role;
            t.name = role;
        }
        Shape::Provider { verb, oidc } => {
            let (arn_key, response_key, marker, what) = if oidc {
                (
                    "openIDConnectProviderArn",
                    "openIDConnectProviderArn",
                    ":oidc-provider/",
                    "OpenID Connect provider",
                )
            } else {
                (
                    "sAMLProviderArn",
                    "sAMLProviderArn",
                    ":saml-provider/",
                    "SAML provider",
                )
            };
            let arn = event
                .request(arn_key)
                .or_else(|| event.response(&[response_key]))
                .or_else(|| denied_arn(&denied, Kind::IdentityProvider));
            let name = arn
                .as_deref()
                .and_then(|a| a.split_once(marker).map(|(_, n)| n.to_string()))
                .or_else(|| event.request(if oidc { "url" } else { "name" }));
            let n = label(&name);
            t.summary = format!("{verb} {what} {n}");
            t.headline = n.clone();
            if let Some(client) = event.request("clientID") {
                t.facts.push(("Client ID", client));
            }
            if let Some(Value::Array(prints)) = event.request_value("thumbprintList") {
                let list: Vec<String> = prints.iter().filter_map(scalar_text).collect();
                t.facts.push(("Thumbprints", list.join(", ")));
            }
            if let Some(Value::Array(ids)) = event.request_value("clientIDList") {
                let list: Vec<String> = ids.iter().filter_map(scalar_text).collect();
                t.facts.push(("Client IDs", list.join(", ")));
            }
            t.kind = Kind::IdentityProvider;
            t.gone = verb == "deleted" && !failed;
            t.not_created = verb == "created" && failed;
            t.name = name;
            t.arn = arn;
        }
        Shape::ConsoleSignIn => {
            let result = event.response(&["ConsoleLogin"]);
            let mfa = event
                .detail
                .additional_event_data
                .as_ref()
                .and_then(|d| d.get("MFAUsed"))
                .and_then(scalar_text);
            t.summary = match result.as_deref() {
                Some("Failure") => "failed to sign in to the AWS console".to_string(),
                _ => "signed in to the AWS console".to_string(),
            };
            t.headline = String::new();
            if let Some(r) = result {
                t.facts.push(("Sign-in result", r));
            }
            if let Some(m) = mfa {
                t.facts.push(("MFA used", m));
            }
            t.kind = Kind::Other;
        }
    }
    t
}

/// A notification for a call without a specific rendering: other IAM calls, other services.
pub fn generic(event: &Event) -> Target {
    let name = event
        .detail
        .event_name
        .as_deref()
        .unwrap_or("(no eventName)");
    let source = event
        .detail
        .event_source
        .as_deref()
        .unwrap_or(event.source.as_str());
    let mut facts = Vec::new();
    if let Some(Value::Object(params)) = &event.detail.request_parameters {
        for (k, v) in params.iter().take(12) {
            let text = scalar_text(v).unwrap_or_else(|| v.to_string());
            facts.push(("Request", format!("{k} = {text}")));
        }
    }
    let denied = denied_resource(event);
    Target {
        kind: Kind::Other,
        name: denied.as_ref().map(|d| d.name.clone()),
        arn: denied.and_then(|d| d.arn),
        gone: false,
        not_created: false,
        section: None,
        summary: format!("called {name} on {source}"),
        // An IAM call we have no words for: its name says enough. Another service: say which.
        headline: if source == IAM {
            String::new()
        } else {
            source.to_string()
        },
        policy: None,
        document: None,
        facts,
        flags: Vec::new(),
    }
}

/// The partition of the account the event is in, from the first ARN the record has.
pub fn partition(event: &Event) -> String {
    let d = &event.detail;
    let identity = d.user_identity.as_ref();
    identity
        .and_then(|u| u.arn.clone())
        .or_else(|| event.request("policyArn"))
        .or_else(|| {
            d.response_elements
                .as_ref()
                .and_then(|r| r.as_object())
                .and_then(|o| o.values().find_map(|v| v.get("arn")))
                .and_then(scalar_text)
        })
        .and_then(|arn| arn_partition(&arn).map(String::from))
        .unwrap_or_else(|| "aws".to_string())
}

/// `arn:PARTITION:…` -> PARTITION.
pub fn arn_partition(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(3, ':');
    (parts.next() == Some("arn"))
        .then(|| parts.next())
        .flatten()
        .filter(|p| !p.is_empty())
}

/// The last `/` segment of an ARN's resource part: the name of a role, user, group or policy.
pub fn arn_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.rsplit('/').next().filter(|s| !s.is_empty())
}

/// The ARN a Create call's request names exactly: the request gives the name and the path
/// (or none, which IAM takes as `/`), the record gives partition and account.
fn built_arn(
    partition: &str,
    account: &Option<String>,
    kind_word: &str,
    event: &Event,
    name: Option<String>,
) -> Option<String> {
    let account = account.as_deref()?;
    let name = name?;
    let path = event.request("path").unwrap_or_else(|| "/".into());
    Some(format!(
        "arn:{partition}:iam::{account}:{kind_word}{path}{name}"
    ))
}

/// What an AccessDenied `errorMessage` says the target was.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Denied {
    kind: Kind,
    name: String,
    arn: Option<String>,
}

fn denied_resource(event: &Event) -> Option<Denied> {
    let message = event.detail.error_message.as_deref()?;
    let rest = message.split_once(" on resource: ")?.1;
    let resource = rest.split(" because ").next().unwrap_or(rest).trim();
    let resource = resource.trim_end_matches('.');
    if resource.starts_with("arn:") {
        let kind_word = resource.splitn(6, ':').nth(5)?.split('/').next()?;
        Some(Denied {
            kind: Kind::from_word(kind_word).unwrap_or(Kind::Other),
            name: arn_name(resource).unwrap_or(resource).to_string(),
            arn: Some(resource.to_string()),
        })
    } else {
        let (word, name) = resource.split_once(' ')?;
        Some(Denied {
            kind: Kind::from_word(word).unwrap_or(Kind::Other),
            name: name.trim().to_string(),
            arn: None,
        })
    }
}

fn denied_arn(denied: &Option<Denied>, kind: Kind) -> Option<String> {
    denied
        .as_ref()
        .filter(|d| d.kind == kind)
        .and_then(|d| d.arn.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(name: &str, detail_extra: Value) -> Event {
        let mut detail = json!({"eventSource":"iam.amazonaws.com","eventName":name,
            "recipientAccountId":"111122223333",
            "userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::111122223333:user/alice"}});
        if let (Some(d), Value::Object(extra)) = (detail.as_object_mut(), detail_extra) {
            d.extend(extra);
        }
        Event::parse(
            &json!({"detail-type":"AWS API Call via CloudTrail","source":"aws.iam",
                             "detail":detail}),
        )
        .unwrap()
    }

    fn summary(name: &str, extra: Value) -> String {
        let e = ev(name, extra);
        resolve(&e, lookup(IAM, name).unwrap()).summary
    }

    #[test]
    fn the_article_lists_25_calls_in_two_rules() {
        let policy = CALLS
            .iter()
            .filter(|c| c.group == RuleGroup::Policy)
            .count();
        let principal = CALLS
            .iter()
            .filter(|c| c.group == RuleGroup::Principal)
            .count();
        assert_eq!((policy, principal), (16, 9));
    }

    #[test]
    fn call_names_are_unique() {
        for (i, c) in CALLS.iter().enumerate() {
            assert!(
                CALLS[i + 1..].iter().all(|o| o.name != c.name),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn plain_words_for_each_shape() {
        assert_eq!(
            summary(
                "AttachRolePolicy",
                json!({"requestParameters":{"roleName":"ci-deploy",
                "policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}})
            ),
            "attached managed policy AdministratorAccess to role ci-deploy"
        );
        assert_eq!(
            summary(
                "CreatePolicyVersion",
                json!({"requestParameters":{
                "policyArn":"arn:aws:iam::111122223333:policy/billing-read","setAsDefault":true},
                "responseElements":{"policyVersion":{"versionId":"v3"}}})
            ),
            "created policy version v3 of policy billing-read (set as default)"
        );
        assert_eq!(
            summary(
                "UpdateUser",
                json!({"requestParameters":{"userName":"bob","newUserName":"robert"}})
            ),
            "renamed user bob to robert"
        );
        assert_eq!(
            summary(
                "PutGroupPolicy",
                json!({"requestParameters":{"groupName":"devs","policyName":"s3-write"}})
            ),
            "put inline policy s3-write on group devs"
        );
        assert_eq!(
            summary(
                "UpdateRole",
                json!({"requestParameters":{"roleName":"r","maxSessionDuration":7200}})
            ),
            "updated role r: maximum session duration set to 7200 s"
        );
        assert_eq!(
            summary(
                "CreateAccessKey",
                json!({"requestParameters":{"userName":"u"},
                "responseElements":{"accessKey":{"accessKeyId":"AKIAX","userName":"u"}}})
            ),
            "created access key AKIAX for user u"
        );
    }

    #[test]
    fn denied_call_takes_the_target_from_the_error_message() {
        let e = ev(
            "AttachRolePolicy",
            json!({"errorCode":"AccessDenied",
            "errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: iam:AttachRolePolicy on resource: role ci-deploy because no identity-based policy allows the iam:AttachRolePolicy action",
            "requestParameters":null,"responseElements":null}),
        );
        let t = resolve(&e, lookup(IAM, "AttachRolePolicy").unwrap());
        assert_eq!(t.name.as_deref(), Some("ci-deploy"));
        assert_eq!(t.kind, Kind::Role);
    }

    #[test]
    fn denied_call_with_an_arn_resource() {
        let e = ev(
            "DeleteUser",
            json!({"errorCode":"AccessDenied",
            "errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::1:user/ops/carol",
            "requestParameters":null}),
        );
        let t = resolve(&e, lookup(IAM, "DeleteUser").unwrap());
        assert_eq!(t.name.as_deref(), Some("carol"));
        assert_eq!(t.arn.as_deref(), Some("arn:aws:iam::1:user/ops/carol"));
        assert!(!t.gone, "a failed delete leaves the user in place");
    }

    #[test]
    fn arns_are_built_only_for_creates_with_path() {
        let e = ev(
            "CreateUser",
            json!({"errorCode":"EntityAlreadyExists",
            "requestParameters":{"userName":"u","path":"/eng/"}}),
        );
        let t = resolve(&e, lookup(IAM, "CreateUser").unwrap());
        assert_eq!(
            t.arn.as_deref(),
            Some("arn:aws:iam::111122223333:user/eng/u")
        );
        let e = ev("DeleteRole", json!({"requestParameters":{"roleName":"r"}}));
        assert_eq!(resolve(&e, lookup(IAM, "DeleteRole").unwrap()).arn, None);
    }

    #[test]
    fn everything_missing_still_says_what_happened() {
        for c in CALLS {
            let e = ev(
                c.name,
                json!({"requestParameters":null,"responseElements":null}),
            );
            let t = resolve(&e, c);
            let headline_ok = !t.headline.is_empty() || c.shape == Shape::ConsoleSignIn;
            assert!(!t.summary.is_empty() && headline_ok, "{}", c.name);
        }
    }

    #[test]
    fn arn_helpers() {
        assert_eq!(arn_partition("arn:aws-cn:iam::1:role/x"), Some("aws-cn"));
        assert_eq!(arn_partition("nope"), None);
        assert_eq!(
            arn_name("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
            Some("ViewOnlyAccess")
        );
        assert_eq!(arn_name("arn:aws:iam::1:root"), Some("root"));
    }
}
