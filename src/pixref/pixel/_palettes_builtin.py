"""Well-known fixed palettes, by Lospec-style slug, in their published order.

Values and sources: ``shared/reference/pixel-art.md`` §6. DB16, DB32 and PICO-8 were
checked against the .gpl files Aseprite ships (see tests/pixel/test_palette.py).
ENDESGA 32 is the Lospec version; Aseprite's older ``edg32.gpl`` differs in 7 entries.
NES has no canonical RGB palette; this is Lospec's 55-colour
"nintendo-entertainment-system" list.
"""

from __future__ import annotations

BUILTIN_PALETTES: dict[str, str] = {
    "pico-8": (
        "000000 1D2B53 7E2553 008751 AB5236 5F574F C2C3C7 FFF1E8 "
        "FF004D FFA300 FFEC27 00E436 29ADFF 83769C FF77A8 FFCCAA"
    ),
    "dawnbringer-16": (
        "140C1C 442434 30346D 4E4A4E 854C30 346524 D04648 757161 "
        "597DCE D27D2C 8595A1 6DAA2C D2AA99 6DC2CA DAD45E DEEED6"
    ),
    "dawnbringer-32": (
        "000000 222034 45283C 663931 8F563B DF7126 D9A066 EEC39A "
        "FBF236 99E550 6ABE30 37946E 4B692F 524B24 323C39 3F3F74 "
        "306082 5B6EE1 639BFF 5FCDE4 CBDBFC FFFFFF 9BADB7 847E87 "
        "696A6A 595652 76428A AC3232 D95763 D77BBA 8F974A 8A6F30"
    ),
    "endesga-32": (
        "BE4A2F D77643 EAD4AA E4A672 B86F50 733E39 3E2731 A22633 "
        "E43B44 F77622 FEAE34 FEE761 63C74D 3E8948 265C42 193C3E "
        "124E89 0099DB 2CE8F5 FFFFFF C0CBDC 8B9BB4 5A6988 3A4466 "
        "262B44 181425 FF0044 68386C B55088 F6757A E8B796 C28569"
    ),
    "sweetie-16": (
        "1A1C2C 5D275D B13E53 EF7D57 FFCD75 A7F070 38B764 257179 "
        "29366F 3B5DC9 41A6F6 73EFF7 F4F4F4 94B0C2 566C86 333C57"
    ),
    "game-boy": "0F380F 306230 8BAC0F 9BBC0F",
    "nes": (
        "000000 FCFCFC F8F8F8 BCBCBC 7C7C7C A4E4FC 3CBCFC 0078F8 0000FC B8B8F8 "
        "6888FC 0058F8 0000BC D8B8F8 9878F8 6844FC 4428BC F8B8F8 F878F8 D800CC "
        "940084 F8A4C0 F85898 E40058 A80020 F0D0B0 F87858 F83800 A81000 FCE0A8 "
        "FCA044 E45C10 881400 F8D878 F8B800 AC7C00 503000 D8F878 B8F818 00B800 "
        "007800 B8F8B8 58D854 00A800 006800 B8F8D8 58F898 00A844 005800 00FCFC "
        "00E8D8 008888 004058 F8D8F8 787878"
    ),
}

#: Other spellings accepted for ``--palette``.
PALETTE_ALIASES: dict[str, str] = {
    "pico8": "pico-8",
    "db16": "dawnbringer-16",
    "db32": "dawnbringer-32",
    "edg32": "endesga-32",
    "sweetie16": "sweetie-16",
    "gameboy": "game-boy",
    "gb": "game-boy",
    "game-boy-dmg": "game-boy",
    "nintendo-entertainment-system": "nes",
}
