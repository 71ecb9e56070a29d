"""User names for the name rules: refused ones by class, and real ones that must pass.

Shared by the validation tests (plain functions) and the hostile-input suite (the service).
"""

from __future__ import annotations

#: (what, name): names that would look empty, or show something other than their text
DECEPTIVE_NAMES = [
    ("zero-width space", "\u200b"),
    ("byte-order mark", "\ufeff"),
    ("zero-width spaces and a word joiner", "\u200b\u200b\u2060"),
    ("Mongolian vowel separator", "\u180e"),
    ("soft hyphen", "\u00ad"),
    ("zero-width joiner alone", "\u200d"),
    ("Hangul filler", "\u3164"),
    ("Hangul filler twice, spaced", "\u3164 \u3164"),
    ("Hangul choseong and jungseong fillers", "\u115f\u1160"),
    ("halfwidth Hangul filler", "\uffa0"),
    ("braille blank", "\u2800"),
    ("lone combining mark", "\u0301"),
    ("combining marks only", "\u0301\u0308\u034f"),
    ("variation selector alone", "\ufe0f"),
    ("right-to-left override", "gpj\u202eexe.doc"),
    ("left-to-right embedding", "\u202aabc\u202c"),
    ("right-to-left isolate", "abc\u2067def\u2069"),
    ("first strong isolate", "\u2068김\u2069"),
    ("left-to-right mark", "김\u200e"),
    ("right-to-left mark", "\u200f김"),
    ("Arabic letter mark", "\u061cمحمد"),
    ("noncharacter U+FFFF", "a\uffff"),
    ("noncharacter U+FFFE", "a\ufffe"),
    ("noncharacter U+FDD0", "\ufdd0a"),
    ("noncharacter U+1FFFF", "a\U0001ffff"),
    ("noncharacter U+10FFFE", "a\U0010fffe"),
    ("unassigned U+0378", "a\u0378"),
    ("unassigned U+E0080", "a\U000e0080"),
    ("private use U+E000", "a\ue000"),
    ("private use U+F8FF", "\uf8ff Apple"),
    ("private use plane 15", "a\U000f0000"),
    ("tag characters after text", "hi\U000e0068\U000e0069"),
    ("tags hiding ASCII", "a\U000e0001\U000e0049\U000e0047\U000e004e\U000e007f"),
    ("tag without a flag", "\U000e0067\U000e0062\U000e007f"),
    ("flag tags not lowercase", "\U0001f3f4\U000e0047\U000e0042\U000e0045\U000e007f"),
    ("flag tags unterminated", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e"),
]

#: names people really have: Korean, emoji of every construction, and emoji newer than the
#: Unicode database of the Python running the tests
HONEST_NAMES = [
    "김카카오",
    "ㅤ김",  # a filler beside a visible name: odd but not empty
    "👩🏽‍💻 개발자",  # ZWJ sequence with a skin tone
    "👨‍👩‍👧‍👦",  # family ZWJ sequence
    "🇰🇷 대한민국",  # regional-indicator flag
    "❤️‍🔥",  # variation selector and ZWJ
    "1️⃣",  # keycap: digit, VS16, combining enclosing keycap
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # 🏴 Scotland
    "\U0001f3f4\U000e0075\U000e0073\U000e0074\U000e0078\U000e007f",  # 🏴 Texas (us-tx)
    "🐦‍🔥 불사조",  # Unicode 15.1
    "\U0001fae8",  # shaking face, Unicode 15.0
    "\U0001fa77 분홍",  # pink heart, Unicode 15.0
    "\U0001fae9",  # face with bags under eyes, Unicode 16.0
    "\U0001fac6",  # fingerprint, Unicode 16.0
    "می\u200cخواهم",  # Persian needs the zero-width non-joiner
    "क्षि",  # Devanagari conjunct with a virama
]
