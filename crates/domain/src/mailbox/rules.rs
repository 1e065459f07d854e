//! Automatic rules: "always scan mail from this sender", "shred advertising
//! except from X". A [`Rule`] is a condition, an action and exceptions;
//! [`first_matching`] runs a customer's rules in their order on a newly
//! received item and returns the action of the first rule whose condition
//! matches and none of whose exceptions does.
//!
//! The rule only proposes: the caller still checks the action with
//! [`super::actions::allowed`], so an automatic scan of a cheque is refused
//! like a manual one (and the item is forwarded physically instead). Codes:
//! `mail.rule_pattern_empty`, `mail.rule_pattern_too_long`.

use crate::codes;

use super::actions::Action;
use super::item::{ItemKind, MailItem};
use crate::Invalid;

/// The longest sender pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 200;

/// Text to look for in the sender, compared without regard to case or
/// spacing: stored lower-cased with blanks collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SenderPattern(String);

impl SenderPattern {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let folded = fold(raw);
        if folded.is_empty() {
            return Err(Invalid::new(
                "pattern",
                codes::MAIL_RULE_PATTERN_EMPTY,
                "a sender pattern needs some text to look for",
            ));
        }
        if folded.chars().count() > MAX_PATTERN_CHARS {
            return Err(Invalid::new(
                "pattern",
                codes::MAIL_RULE_PATTERN_TOO_LONG,
                format!("a sender pattern has at most {MAX_PATTERN_CHARS} characters"),
            ));
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sender contains the pattern.
    pub fn matches(&self, sender: &str) -> bool {
        fold(sender).contains(&self.0)
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Condition {
    /// The sender contains this text (an item with no known sender never
    /// matches).
    SenderContains(SenderPattern),
    KindIs(ItemKind),
    /// The clerk marked the item as advertising.
    IsAdvertising,
}

impl Condition {
    /// `SenderContains` from raw text.
    pub fn sender_contains(raw: &str) -> Result<Self, Invalid> {
        SenderPattern::parse(raw).map(Condition::SenderContains)
    }

    pub fn matches(&self, item: &MailItem) -> bool {
        match self {
            Condition::SenderContains(p) => item.sender.as_deref().is_some_and(|s| p.matches(s)),
            Condition::KindIs(k) => item.kind == *k,
            Condition::IsAdvertising => item.advertising,
        }
    }
}

/// One automatic rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    pub condition: Condition,
    pub action: Action,
    /// The rule does not apply when any of these matches.
    pub exceptions: Vec<Condition>,
}

impl Rule {
    pub fn new(condition: Condition, action: Action) -> Self {
        Self {
            condition,
            action,
            exceptions: Vec::new(),
        }
    }

    pub fn except(mut self, exception: Condition) -> Self {
        self.exceptions.push(exception);
        self
    }

    /// The condition matches and no exception does.
    pub fn applies_to(&self, item: &MailItem) -> bool {
        self.condition.matches(item) && !self.exceptions.iter().any(|e| e.matches(item))
    }
}

/// The first rule (and its position) that applies to `item`.
pub fn first_matching_rule<'r>(rules: &'r [Rule], item: &MailItem) -> Option<(usize, &'r Rule)> {
    rules.iter().enumerate().find(|(_, r)| r.applies_to(item))
}

/// The action of the first rule that applies to `item`, if any.
pub fn first_matching(rules: &[Rule], item: &MailItem) -> Option<Action> {
    first_matching_rule(rules, item).map(|(_, r)| r.action.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::item::{Grams, ItemFormat};
    use proptest::prelude::*;

    fn from(sender: &str) -> MailItem {
        MailItem::physical(ItemKind::Letter, ItemFormat::A4, Grams::new(20).unwrap())
            .with_sender(sender)
    }

    #[test]
    fn always_scan_mail_from_this_sender() {
        let rules = vec![Rule::new(
            Condition::sender_contains("Steuerverwaltung").unwrap(),
            Action::Scan,
        )];
        assert_eq!(
            first_matching(&rules, &from("Kantonale STEUERVERWALTUNG  Luzern")),
            Some(Action::Scan)
        );
        assert_eq!(first_matching(&rules, &from("Migros")), None);
        let anonymous =
            MailItem::physical(ItemKind::Letter, ItemFormat::A4, Grams::new(20).unwrap());
        assert_eq!(first_matching(&rules, &anonymous), None);
    }

    #[test]
    fn shred_advertising_except_from_a_supplier() {
        let rules = vec![
            Rule::new(Condition::IsAdvertising, Action::Shred)
                .except(Condition::sender_contains("Office World").unwrap()),
        ];
        assert_eq!(
            first_matching(&rules, &from("Pizza Express").with_advertising()),
            Some(Action::Shred)
        );
        assert_eq!(
            first_matching(&rules, &from("office  world AG").with_advertising()),
            None
        );
        assert_eq!(first_matching(&rules, &from("Pizza Express")), None);
    }

    #[test]
    fn the_first_applicable_rule_wins() {
        let rules = vec![
            Rule::new(Condition::KindIs(ItemKind::Parcel), Action::HoldForPickup),
            Rule::new(Condition::IsAdvertising, Action::Recycle)
                .except(Condition::sender_contains("bank").unwrap()),
            Rule::new(Condition::sender_contains("bank").unwrap(), Action::Scan),
            Rule::new(Condition::KindIs(ItemKind::Letter), Action::MarkHandled),
        ];
        let parcel = MailItem::physical(ItemKind::Parcel, ItemFormat::A4, Grams::new(900).unwrap())
            .with_sender("UBS Bank")
            .with_advertising();
        assert_eq!(first_matching(&rules, &parcel), Some(Action::HoldForPickup));
        // Advertising from a bank: the exception skips rule 1, rule 2 scans.
        let ad = from("Raiffeisen Bank").with_advertising();
        assert_eq!(first_matching_rule(&rules, &ad).map(|(i, _)| i), Some(2));
        assert_eq!(
            first_matching(&rules, &from("Pizza").with_advertising()),
            Some(Action::Recycle)
        );
        assert_eq!(
            first_matching(&rules, &from("Pizza")),
            Some(Action::MarkHandled)
        );
        assert_eq!(first_matching(&[], &from("Pizza")), None);
    }

    #[test]
    fn patterns() {
        assert_eq!(
            SenderPattern::parse("   ").unwrap_err().code,
            "mail.rule_pattern_empty"
        );
        assert_eq!(
            SenderPattern::parse(&"x".repeat(201)).unwrap_err().code,
            "mail.rule_pattern_too_long"
        );
        let p = SenderPattern::parse("  Swiss   Post ").unwrap();
        assert_eq!(p.as_str(), "swiss post");
        assert!(p.matches("Die SWISS POST AG"));
        assert!(!p.matches("SwissPost"));
        assert!(
            SenderPattern::parse("ÉTAT DE VAUD")
                .unwrap()
                .matches("République et canton, État de Vaud")
        );
    }

    fn condition() -> impl Strategy<Value = Condition> {
        prop_oneof![
            Just(Condition::IsAdvertising),
            (0usize..3).prop_map(|k| Condition::KindIs(ItemKind::ALL[k])),
            prop::sample::select(vec!["bank", "post", "tax"])
                .prop_map(|s| Condition::sender_contains(s).unwrap()),
        ]
    }

    fn rule() -> impl Strategy<Value = Rule> {
        (
            condition(),
            prop::sample::select(vec![Action::Scan, Action::Shred, Action::Recycle]),
            prop::collection::vec(condition(), 0..3),
        )
            .prop_map(|(condition, action, exceptions)| Rule {
                condition,
                action,
                exceptions,
            })
    }

    proptest! {
        #[test]
        fn first_matching_is_the_first_applicable_rule(
            rules in prop::collection::vec(rule(), 0..8),
            sender in prop::sample::select(vec!["The Bank", "Swiss Post", "Tax office", "Other"]),
            k in 0usize..3,
            ad in any::<bool>(),
        ) {
            let mut item = from(sender);
            item.kind = ItemKind::ALL[k];
            item.advertising = ad;
            match first_matching_rule(&rules, &item) {
                Some((i, r)) => {
                    prop_assert!(r.condition.matches(&item));
                    prop_assert!(r.exceptions.iter().all(|e| !e.matches(&item)));
                    prop_assert!(rules[..i].iter().all(|earlier| !earlier.applies_to(&item)));
                    prop_assert_eq!(first_matching(&rules, &item), Some(r.action.clone()));
                }
                None => {
                    prop_assert!(rules.iter().all(|r| !r.applies_to(&item)));
                    prop_assert_eq!(first_matching(&rules, &item), None);
                }
            }
            // Adding an exception that matches can only take a rule away.
            let mut stricter = rules.clone();
            for r in &mut stricter {
                r.exceptions.push(Condition::KindIs(item.kind));
            }
            prop_assert_eq!(first_matching(&stricter, &item), None);
        }
    }
}
