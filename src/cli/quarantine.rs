//! `role-audit quarantine` and `restore`: what was (or, with --dry-run, would be) done, for
//! people and for programs. Pure: the principal and the calls in, text out.

use serde_json::{json, Value};

use crate::core::access::PrincipalKind;
use crate::core::quarantine::{Call, Target};
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quarantine,
    Restore,
}

/// What a quarantine or restore did or would do.
#[derive(Debug, Clone)]
pub struct Done<'a> {
    pub action: Action,
    pub target: &'a Target,
    pub calls: &'a [Call],
    pub dry_run: bool,
}

impl Done<'_> {
    fn noun(&self) -> &'static str {
        match self.target.kind {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        }
    }

    fn option(&self) -> &'static str {
        match self.target.kind {
            PrincipalKind::Role => "--role",
            PrincipalKind::User => "--user",
        }
    }

    pub fn table(&self) -> String {
        let (noun, name, id) = (self.noun(), &self.target.name, &self.target.id);
        let verb = match (self.action, self.dry_run) {
            (Action::Quarantine, true) => "would quarantine",
            (Action::Quarantine, false) => "quarantined",
            (Action::Restore, true) => "would restore",
            (Action::Restore, false) => "restored",
        };
        let mut text = format!(
            "{verb} {noun} {name} ({id}){}:\n",
            if self.dry_run {
                " with these calls (dry run: nothing was changed)"
            } else {
                " with these calls"
            }
        );
        for call in self.calls {
            text.push_str(&format!("  {}\n", call.line()));
        }
        let option = self.option();
        match self.action {
            Action::Quarantine => {
                text.push_str(
                    "The deny applies to every request, sessions issued before it included, once IAM has \
                     propagated it (eventually consistent: usually seconds, allow a few minutes).\n",
                );
                if self.target.kind == PrincipalKind::User {
                    text.push_str(
                        "A console password is never deleted by quarantine: if the user's password is unused, \
                         delete it by hand once you are sure (aws iam delete-login-profile --user-name NAME).\n",
                    );
                }
                text.push_str(&format!(
                    "Undo: role-audit restore {option} {name}{}\n",
                    if self.dry_run {
                        " (after running this without --dry-run)"
                    } else {
                        ""
                    }
                ));
            }
            Action::Restore => {}
        }
        text
    }

    pub fn json(&self) -> Result<String, Error> {
        let value = json!({
            "Action": match self.action {
                Action::Quarantine => "quarantine",
                Action::Restore => "restore",
            },
            "Principal": {"Type": self.noun(), "Name": self.target.name, "Id": self.target.id},
            "DryRun": self.dry_run,
            "Calls": self.calls.iter().map(Call::canonical).collect::<Vec<Value>>(),
        });
        serde_json::to_string_pretty(&value)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|e| Error::OutputEncodingFailed {
                what: "quarantine calls".to_owned(),
                message: e.to_string(),
            })
    }
}
