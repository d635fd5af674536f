"""A catalogue entry's 法定依据 split into the provisions a 不予许可 may cite (article level where possible)."""

from __future__ import annotations

from engine.catalogue.provisions import provisions_of


def test_articles_of_one_law_become_one_choice_each() -> None:
    assert provisions_of(["《中华人民共和国建筑法》第七条、第八条"]) == (
        "《中华人民共和国建筑法》第七条", "《中华人民共和国建筑法》第八条")


def test_a_law_without_articles_is_one_provision_and_its_note_stays_with_it() -> None:
    assert provisions_of(["《建筑工程施工许可管理办法》（住房和城乡建设部令第18号，2018年、2021年修正）",
                          "《城市建筑垃圾管理规定》（建设部令第139号）第七条"]) == (
        "《建筑工程施工许可管理办法》（住房和城乡建设部令第18号，2018年、2021年修正）",
        "《城市建筑垃圾管理规定》（建设部令第139号）第七条")


def test_ranges_items_and_paragraphs_are_kept_whole() -> None:
    assert provisions_of(["《公共场所卫生管理条例实施细则》第二十二条至第二十五条",
                          "《国务院对确需保留的行政审批项目设定行政许可的决定》第101项",
                          "《中华人民共和国行政许可法》第三十八条第二款"]) == (
        "《公共场所卫生管理条例实施细则》第二十二条至第二十五条",
        "《国务院对确需保留的行政审批项目设定行政许可的决定》第101项",
        "《中华人民共和国行政许可法》第三十八条第二款")


def test_wording_that_cannot_be_split_safely_is_one_provision_and_repeats_are_dropped() -> None:
    assert provisions_of(["《中华人民共和国契税法》第十二条（先税后证）；《城市绿化条例》第二十条",
                          "《城市绿化条例》第二十条、第二十五条", "  "]) == (
        "《中华人民共和国契税法》第十二条（先税后证）", "《城市绿化条例》第二十条", "《城市绿化条例》第二十五条")
