#!/usr/bin/env python3
"""Generate crates/documents/src/countries_table.rs from Debian's iso-codes.

Reads /usr/share/iso-codes/json/iso_3166-1.json and the gettext catalogues
/usr/share/locale/{fr,nl,de,it}/LC_MESSAGES/iso_3166-1.mo (English is the
msgid itself) and writes, for every country, its names in capitals mapped to
the ISO 3166-1 alpha-2 code, both with accents (``BELGIË``) and folded to
ASCII (``BELGIE``), plus common short forms (``USA``, ``UK``, ...).

Run from the crate directory:

    /usr/bin/python3 tools/gen_countries.py > src/countries_table.rs

Only the Python standard library is used. The Rust side (src/countries.rs)
normalises an address line with the same rules as `normalise()` below and
folds accents with the FOLD table emitted here, so both sides agree.
"""

import gettext
import json
import sys
import unicodedata

ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
LOCALE_DIR = "/usr/share/locale"
# French, Dutch, German and English are required by the spec; Italian is added
# because it is a Swiss national language (SVIZZERA, GERMANIA, ...).
LANGUAGES = ["fr", "nl", "de", "it"]

# Short and everyday forms that the ISO names do not give. Priority 1: they
# lose to an official name in case of a clash.
SHORT_FORMS = {
    "USA": "US", "U.S.A.": "US", "UNITED STATES OF AMERICA": "US", "AMERICA": "US",
    "ETATS-UNIS D'AMERIQUE": "US", "VEREINIGTE STAATEN VON AMERIKA": "US",
    "VERENIGDE STATEN VAN AMERIKA": "US", "STATI UNITI D'AMERICA": "US",
    "UK": "GB", "U.K.": "GB", "GREAT BRITAIN": "GB", "GRANDE-BRETAGNE": "GB",
    "GROSSBRITANNIEN": "GB", "GROOT-BRITTANNIË": "GB", "GRAN BRETAGNA": "GB",
    "ENGLAND": "GB", "ANGLETERRE": "GB", "ENGELAND": "GB", "INGHILTERRA": "GB",
    "SCOTLAND": "GB", "ÉCOSSE": "GB", "SCHOTTLAND": "GB", "SCHOTLAND": "GB",
    "WALES": "GB", "PAYS DE GALLES": "GB", "NORTHERN IRELAND": "GB",
    "DEUTSCHLAND": "DE", "BUNDESREPUBLIK DEUTSCHLAND": "DE", "ALLEMAGNE": "DE",
    "NEDERLAND": "NL", "HOLLAND": "NL", "HOLLANDE": "NL", "PAYS-BAS": "NL", "THE NETHERLANDS": "NL",
    "ÖSTERREICH": "AT", "OESTERREICH": "AT", "AUTRICHE": "AT",
    "LIECHTENSTEIN": "LI", "FÜRSTENTUM LIECHTENSTEIN": "LI", "PRINCIPAUTÉ DE LIECHTENSTEIN": "LI",
    "SCHWEIZ": "CH", "SUISSE": "CH", "SVIZZERA": "CH", "SVIZRA": "CH", "ZWITSERLAND": "CH",
    "SWITZERLAND": "CH", "CONFÉDÉRATION SUISSE": "CH", "SCHWEIZERISCHE EIDGENOSSENSCHAFT": "CH",
    "FRANCE": "FR", "FRANKRIJK": "FR", "FRANKREICH": "FR", "RÉPUBLIQUE FRANÇAISE": "FR",
    "BELGIQUE": "BE", "BELGIË": "BE", "BELGIEN": "BE", "BELGIUM": "BE",
    "LUXEMBOURG": "LU", "LUXEMBURG": "LU", "LËTZEBUERG": "LU", "GRAND-DUCHÉ DE LUXEMBOURG": "LU",
    "GROSSHERZOGTUM LUXEMBURG": "LU",
    "ITALIA": "IT", "ITALIE": "IT", "ITALIEN": "IT", "ITALIË": "IT", "ITALY": "IT",
    "ESPAÑA": "ES", "ESPAGNE": "ES", "SPANIEN": "ES", "SPANJE": "ES", "SPAIN": "ES",
    "PORTUGAL": "PT", "MONACO": "MC", "PRINCIPAUTÉ DE MONACO": "MC",
    "VATICAN": "VA", "CITÉ DU VATICAN": "VA", "VATIKANSTADT": "VA", "VATICANO": "VA",
    "RUSSIA": "RU", "RUSSIE": "RU", "RUSSLAND": "RU", "RUSLAND": "RU",
    "CZECH REPUBLIC": "CZ", "RÉPUBLIQUE TCHÈQUE": "CZ", "TCHÉQUIE": "CZ", "TSCHECHIEN": "CZ",
    "TSJECHIË": "CZ", "ČESKO": "CZ", "ČESKÁ REPUBLIKA": "CZ",
    "POLSKA": "PL", "DANMARK": "DK", "SVERIGE": "SE", "NORGE": "NO", "SUOMI": "FI",
    "ÉIRE": "IE", "MAGYARORSZÁG": "HU", "HRVATSKA": "HR", "SLOVENIJA": "SI", "SLOVENSKO": "SK",
    "ELLADA": "GR", "TÜRKIYE": "TR", "TURKEY": "TR", "TURQUIE": "TR", "TÜRKEI": "TR",
    "SOUTH KOREA": "KR", "CORÉE DU SUD": "KR", "SÜDKOREA": "KR", "ZUID-KOREA": "KR",
    "NORTH KOREA": "KP", "CORÉE DU NORD": "KP", "NORDKOREA": "KP", "NOORD-KOREA": "KP",
    "VIETNAM": "VN", "IRAN": "IR", "SYRIA": "SY", "SYRIE": "SY", "LAOS": "LA", "BOLIVIA": "BO",
    "VENEZUELA": "VE", "TANZANIA": "TZ", "MOLDOVA": "MD", "MOLDAVIE": "MD", "TAIWAN": "TW",
    "KOSOVO": "XK",
}

# Characters folded specially (NFKD has no decomposition for them).
SPECIAL_FOLD = {"ß": "SS", "Æ": "AE", "Œ": "OE", "Ø": "O", "Đ": "D", "Ł": "L", "Þ": "TH",
                "Ð": "D", "Ħ": "H", "Ŀ": "L", "Ŋ": "N", "Ŧ": "T"}


def fold_char(c):
    """ASCII capitals for one upper-case character, or None if it stays."""
    if c in SPECIAL_FOLD:
        return SPECIAL_FOLD[c]
    base = "".join(ch for ch in unicodedata.normalize("NFKD", c) if not unicodedata.combining(ch))
    if base != c and base and all(ord(ch) < 128 for ch in base):
        return base.upper()
    return None


def normalise(text, fold):
    """Upper-case; '.' removed; other non-alphanumerics become one space."""
    out = []
    for c in text.upper():
        if fold:
            f = fold_char(c)
            if f is not None:
                out.append(f)
                continue
        if c == ".":
            continue
        out.append(c if c.isalnum() else " ")
    return " ".join("".join(out).split())


def variants(name):
    """The name itself, and without a trailing ', qualifier' or '(...)'."""
    yield name, 0
    if "(" in name:
        yield name.split("(")[0].strip(), 2
    if "," in name:
        head, tail = name.split(",", 1)
        yield head.strip(), 2
        # "Korea, Republic of" -> "Republic of Korea"
        tail = tail.strip()
        if tail.endswith(" of") or tail.endswith(" of the"):
            yield f"{tail} {head.strip()}", 2


def main():
    countries = json.load(open(ISO_JSON, encoding="utf-8"))["3166-1"]
    translations = [gettext.translation("iso_3166-1", LOCALE_DIR, languages=[lang]) for lang in LANGUAGES]
    # key -> {code: best priority}
    keys = {}

    def add(name, code, priority, min_len=3):
        for fold in (False, True):
            key = normalise(name, fold)
            if len(key) < min_len:
                continue
            best = keys.setdefault(key, {})
            best[code] = min(best.get(code, 99), priority)

    for country in countries:
        code = country["alpha_2"]
        for field in ("name", "common_name", "official_name"):
            english = country.get(field)
            if not english:
                continue
            priority = 0 if field != "official_name" else 1
            for name, extra in variants(english):
                add(name, code, priority + extra)
            for t in translations:
                local = t.gettext(english)
                for name, extra in variants(local):
                    add(name, code, priority + extra)
    for name, code in SHORT_FORMS.items():
        add(name, code, 1, min_len=2)

    table = []
    for key, codes in keys.items():
        best = min(codes.values())
        winners = sorted(c for c, p in codes.items() if p == best)
        if len(winners) > 1:
            print(f"ambiguous, dropped: {key} -> {winners}", file=sys.stderr)
            continue
        table.append((key, winners[0]))
    table.sort(key=lambda kv: kv[0].encode("utf-8"))

    fold_chars = set()
    for key, _ in table:
        fold_chars.update(key)
    fold_chars.update(chr(c).upper() for c in range(0xC0, 0x250))
    fold_chars.update(chr(c) for c in range(0xC0, 0x250))
    fold = sorted((c, fold_char(c)) for c in fold_chars if len(c) == 1 and fold_char(c) is not None)

    out = sys.stdout
    out.write("//! Country names in capitals (French, Dutch, German, Italian, English, with and\n")
    out.write("//! without accents, plus common short forms) mapped to ISO 3166-1 alpha-2 codes.\n")
    out.write("//! GENERATED by tools/gen_countries.py from Debian iso-codes; do not edit by hand.\n\n")
    out.write("/// Normalised name -> alpha-2, sorted by the UTF-8 bytes of the name.\n")
    out.write("pub(crate) const COUNTRY_NAMES: &[(&str, &str)] = &[\n")
    for key, code in table:
        out.write(f"    ({json.dumps(key, ensure_ascii=False)}, \"{code}\"),\n")
    out.write("];\n\n")
    out.write("/// Upper-case letter -> ASCII capitals without the diacritic, sorted by letter.\n")
    out.write("pub(crate) const FOLD: &[(char, &str)] = &[\n")
    for c, f in fold:
        out.write(f"    ('{c}', \"{f}\"),\n")
    out.write("];\n\n")
    # The name printed on the last line of an address abroad: French, the
    # UPU's working language, in capitals; the short (common) name if any.
    french = gettext.translation("iso_3166-1", LOCALE_DIR, languages=["fr"])
    display = {c["alpha_2"]: french.gettext(c.get("common_name") or c["name"]).upper() for c in countries}
    display["XK"] = "KOSOVO"
    out.write("/// Alpha-2 code -> country name for the address's last line (French, capitals), sorted by code.\n")
    out.write("pub(crate) const DISPLAY_NAMES: &[(&str, &str)] = &[\n")
    for code in sorted(display):
        out.write(f"    (\"{code}\", {json.dumps(display[code], ensure_ascii=False)}),\n")
    out.write("];\n")


if __name__ == "__main__":
    main()
