"""Themes of a week's texts, and the 'material was hard' detector."""

from __future__ import annotations

from bot.analysis.themes import format_themes, says_material_was_hard, themes

WEEK = (
    ["Antrean panjang sekali di kantor Disdukcapil, dari pagi belum dipanggil."] * 6
    + ["Petugas tidak ramah, antrean panjang dan tidak ada kursi."] * 5
    + ["Berkas saya hilang di loket, petugas tidak ramah."] * 3
    + ["Berkas hilang lagi untuk kedua kalinya."]
    + ["KTP elektronik belum jadi", "Terima kasih pelayanannya cepat"]
)


def test_themes_rank_what_stands_out_with_counts() -> None:
    found = themes(WEEK, top=6)
    phrases = [theme.phrase for theme in found]
    assert phrases[0] == "antrean panjang"
    assert found[0].count == 11
    assert "petugas tidak ramah" in phrases  # the negation is kept inside the phrase
    assert "berkas hilang" in phrases  # "saya" between them is a stopword
    text = format_themes(found)
    assert "antrean panjang (11)" in text and "petugas tidak ramah (8)" in text


def test_stopwords_alone_are_never_themes() -> None:
    found = themes(["yang dan di ke dari itu ini"] * 10 + ["tidak tidak tidak"] * 5)
    assert found == []


def test_material_was_hard() -> None:
    assert says_material_was_hard("Materinya sulit dipahami") == ["sulit dipahami"]
    assert says_material_was_hard("penyampaiannya terlalu cepat bgt") == ["terlalu cepat"]
    assert says_material_was_hard("sy gak ngerti, bingung") == ["tidak mengerti", "bingung"]
    assert says_material_was_hard("materi mudah dipahami, tidak bingung") == []
    assert says_material_was_hard("tidak terlalu cepat kok") == []
    assert says_material_was_hard("") == []
