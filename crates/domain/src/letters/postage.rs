//! Postage choices and the routing rules that bind them to a destination:
//! which product may go where, and when a letter may be registered. A
//! [`Postage`] can only be built through [`Postage::new`], so a registered
//! letter abroad or without a return address never reaches pricing or
//! production.

use crate::codes;

use super::Country;
use crate::Invalid;

/// The carrier product the letter travels with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    /// Domestic first class (A-Post, Prior, prioritaire): J+1.
    Priority,
    /// Domestic economy (B-Post, Non-Prior, Lettre verte): J+3.
    Standard,
    /// Any destination outside the carrier's country.
    InternationalPriority,
}

impl Product {
    pub const ALL: [Product; 3] = [
        Product::Priority,
        Product::Standard,
        Product::InternationalPriority,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Product::Priority => "priority",
            Product::Standard => "standard",
            Product::InternationalPriority => "international_priority",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Product::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "product",
                    codes::LETTER_PRODUCT_UNKNOWN,
                    format!("'{s}' is not priority, standard or international_priority"),
                )
            })
    }

    pub const fn is_international(self) -> bool {
        matches!(self, Product::InternationalPriority)
    }
}

/// Registered mail and its acknowledgement of receipt (AR, avis de réception).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Registered {
    #[default]
    None,
    Registered,
    /// Registered, and the recipient's signed receipt is returned to the sender.
    RegisteredWithAr,
}

impl Registered {
    pub const ALL: [Registered; 3] = [
        Registered::None,
        Registered::Registered,
        Registered::RegisteredWithAr,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Registered::None => "none",
            Registered::Registered => "registered",
            Registered::RegisteredWithAr => "registered_ar",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Registered::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "registered",
                    codes::LETTER_REGISTERED_UNKNOWN,
                    format!("'{s}' is not none, registered or registered_ar"),
                )
            })
    }

    pub const fn is_registered(self) -> bool {
        !matches!(self, Registered::None)
    }
}

/// Checks product and registration against the route, without the return
/// address (pricing needs only this part). Registered-abroad is tested before
/// the product so the sender hears the real reason: no product would do.
pub fn check_route(
    product: Product,
    registered: Registered,
    carrier: &Country,
    destination: &Country,
) -> Result<(), Invalid> {
    let domestic = carrier == destination;
    if registered.is_registered() && !domestic {
        return Err(Invalid::new(
            "registered",
            codes::LETTER_REGISTERED_ABROAD,
            format!(
                "registered letters can only be sent within {carrier}; the destination is {destination}"
            ),
        ));
    }
    match (product.is_international(), domestic) {
        (true, true) => Err(Invalid::new(
            "product",
            codes::LETTER_PRODUCT_DESTINATION_MISMATCH,
            format!(
                "international priority is for destinations outside {carrier}; use priority or standard for {destination}"
            ),
        )),
        (false, false) => Err(Invalid::new(
            "product",
            codes::LETTER_PRODUCT_DESTINATION_MISMATCH,
            format!(
                "{} is a domestic product of {carrier}; a letter to {destination} needs international priority",
                product.as_str()
            ),
        )),
        _ => Ok(()),
    }?;
    // Carriers run registered mail on their first-class network (the seed's
    // "Prior national et Recommandé" share the J+1 promise), so an economy
    // registered letter does not exist.
    if registered.is_registered() && product != Product::Priority {
        return Err(Invalid::new(
            "product",
            codes::LETTER_REGISTERED_NEEDS_PRIORITY,
            "registered letters travel as priority; choose the priority product",
        ));
    }
    Ok(())
}

/// A validated postage choice for one letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Postage {
    product: Product,
    registered: Registered,
    carrier: Country,
    destination: Country,
}

impl Postage {
    /// `has_return_address`: whether the letter carries a sender address to
    /// which an undeliverable registered letter is returned (the carrier sends
    /// it back to the sender, not to the print centre).
    pub fn new(
        product: Product,
        registered: Registered,
        carrier: Country,
        destination: Country,
        has_return_address: bool,
    ) -> Result<Self, Invalid> {
        check_route(product, registered, &carrier, &destination)?;
        if registered.is_registered() && !has_return_address {
            return Err(Invalid::new(
                "return_address",
                codes::LETTER_RETURN_ADDRESS_MISSING,
                "a registered letter needs a return address for when it cannot be delivered",
            ));
        }
        Ok(Self {
            product,
            registered,
            carrier,
            destination,
        })
    }

    pub const fn product(&self) -> Product {
        self.product
    }
    pub const fn registered(&self) -> Registered {
        self.registered
    }
    pub const fn carrier(&self) -> Country {
        self.carrier
    }
    pub const fn destination(&self) -> Country {
        self.destination
    }
    pub fn is_domestic(&self) -> bool {
        self.carrier == self.destination
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(r: Result<Postage, Invalid>) -> &'static str {
        r.map(|_| "ok").unwrap_or_else(|e| e.code.as_str())
    }

    #[test]
    fn domestic_products_stay_home() {
        let (be, fr) = (Country::BE, Country::FR);
        assert_eq!(
            code(Postage::new(
                Product::Priority,
                Registered::None,
                be,
                be,
                false
            )),
            "ok"
        );
        assert_eq!(
            code(Postage::new(
                Product::Standard,
                Registered::None,
                be,
                be,
                false
            )),
            "ok"
        );
        assert_eq!(
            code(Postage::new(
                Product::InternationalPriority,
                Registered::None,
                be,
                fr,
                false
            )),
            "ok"
        );
        assert_eq!(
            code(Postage::new(
                Product::Priority,
                Registered::None,
                be,
                fr,
                true
            )),
            "letter.product_destination_mismatch"
        );
        assert_eq!(
            code(Postage::new(
                Product::Standard,
                Registered::None,
                be,
                fr,
                true
            )),
            "letter.product_destination_mismatch"
        );
        assert_eq!(
            code(Postage::new(
                Product::InternationalPriority,
                Registered::None,
                be,
                be,
                true
            )),
            "letter.product_destination_mismatch"
        );
    }

    #[test]
    fn registered_rules() {
        let (ch, de) = (Country::CH, Country::DE);
        assert_eq!(
            code(Postage::new(
                Product::Priority,
                Registered::Registered,
                ch,
                ch,
                true
            )),
            "ok"
        );
        assert_eq!(
            code(Postage::new(
                Product::Priority,
                Registered::RegisteredWithAr,
                ch,
                ch,
                true
            )),
            "ok"
        );
        let abroad = Postage::new(
            Product::InternationalPriority,
            Registered::Registered,
            ch,
            de,
            true,
        )
        .unwrap_err();
        assert_eq!(abroad.code, "letter.registered_abroad");
        assert!(
            abroad.message.contains("CH") && abroad.message.contains("DE"),
            "{}",
            abroad.message
        );
        // Even with a domestic product, abroad is the reason given.
        assert_eq!(
            code(Postage::new(
                Product::Priority,
                Registered::RegisteredWithAr,
                ch,
                de,
                true
            )),
            "letter.registered_abroad"
        );
        let missing =
            Postage::new(Product::Priority, Registered::Registered, ch, ch, false).unwrap_err();
        assert_eq!(
            (missing.field, missing.code),
            ("return_address", codes::LETTER_RETURN_ADDRESS_MISSING)
        );
        assert_eq!(
            code(Postage::new(
                Product::Standard,
                Registered::Registered,
                ch,
                ch,
                true
            )),
            "letter.registered_needs_priority"
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Product::ALL {
            assert_eq!(Product::parse(p.as_str()).unwrap(), p);
        }
        for r in Registered::ALL {
            assert_eq!(Registered::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(
            Product::parse("express").unwrap_err().code,
            "letter.product_unknown"
        );
        assert_eq!(
            Registered::parse("yes").unwrap_err().code,
            "letter.registered_unknown"
        );
    }

    fn country() -> impl Strategy<Value = Country> {
        prop_oneof![
            Just(Country::CH),
            Just(Country::BE),
            Just(Country::FR),
            Just(Country::DE)
        ]
    }

    proptest! {
        #[test]
        fn accepted_postage_obeys_every_rule(
            p in 0usize..3, r in 0usize..3, carrier in country(), dest in country(), ret in any::<bool>()
        ) {
            let (p, r) = (Product::ALL[p], Registered::ALL[r]);
            if let Ok(post) = Postage::new(p, r, carrier, dest, ret) {
                prop_assert_eq!(post.is_domestic(), !p.is_international());
                if r.is_registered() {
                    prop_assert!(post.is_domestic() && ret && p == Product::Priority);
                }
            }
        }
    }
}
