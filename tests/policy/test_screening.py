"""Reason screening: prohibited words and their disguises, vague reasons, federal wording.

The false-positive judgements documented in docs/policy.md are pinned here, both ways.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustlpr.core.errors import InputError
from trustlpr.policy import screen_reason
from trustlpr.policy.screening import (
    ALL_FLAGS,
    MAX_REASON_LENGTH,
    check_reason_length,
    normalize_reason,
    prohibited_topics,
    screen,
)


def _rules(text: str) -> set[str]:
    return {reason.rule for reason in screen_reason(text)}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("ICE request", "reason.immigration"),
        ("I.C.E. request", "reason.immigration"),
        ("i.c.e. locate", "reason.immigration"),
        ("I C E locate", "reason.immigration"),
        ("h-s-i referral on car", "reason.immigration"),
        ("ice/ero target", "reason.immigration"),
        ("ICE+ERO target", "reason.immigration"),
        ("imm hold on driver", "reason.immigration"),
        ("possible deportation", "reason.immigration"),
        ("deport order subject", "reason.immigration"),
        ("d3p0rt subject car", "reason.immigration"),
        ("1mm1gr@t10n status", "reason.immigration"),
        ("imigration status check", "reason.immigration"),
        ("1m1gr@t10n check", "reason.immigration"),
        ("pr0test organizer", "reason.protest"),
        ("tr4nsgender teen", "reason.gender-affirming-care"),
        ("287(g) screening", "reason.immigration"),
        ("287 g partner", "reason.immigration"),
        ("HSI task force narcotics", "reason.immigration"),
        ("CBP lookout", "reason.immigration"),
        ("ERO fugitive ops", "reason.immigration"),
        ("DHS request", "reason.immigration"),
        ("USCIS referral", "reason.immigration"),
        ("Ice agents at the house", "reason.immigration"),
        ("\u0406\u0421\u0415 request", "reason.immigration"),  # Cyrillic look-alikes
        ("I\u200bCE request", "reason.immigration"),  # zero-width space
        ("abortion clinic visit", "reason.reproductive-health"),
        ("ab0rti0n pills", "reason.reproductive-health"),
        ("repro case", "reason.reproductive-health"),
        ("Planned Parenthood patient", "reason.reproductive-health"),
        ("terminated her pregnancy", "reason.reproductive-health"),
        ("gender affirming care", "reason.gender-affirming-care"),
        ("gender-affirming clinic", "reason.gender-affirming-care"),
        ("transgender teen", "reason.gender-affirming-care"),
        ("trans youth at clinic", "reason.gender-affirming-care"),
        ("puberty blockers", "reason.gender-affirming-care"),
        ("protest at city hall", "reason.protest"),
        ("protester vehicle", "reason.protest"),
        ("demonstration organizers", "reason.protest"),
        ("journalist covering story", "reason.protest"),
        ("my ex girlfriend", "reason.personal"),
        ("just checking on him", "reason.personal"),
        ("repo of vehicle", "reason.civil"),
        ("custody dispute with mother", "reason.civil"),
        ("on behalf of DEA", "reason.on-behalf"),
        ("per agent", "reason.on-behalf"),
        ("assist FBI on bank robbery", "reason.on-behalf"),
        ("assist FBI on bank robbery", "reason.federal"),
        ("TFO request", "reason.federal"),
        ("U.S. Marshals fugitive", "reason.federal"),
        ("investigation", "reason.vague"),
        ("inv", "reason.vague"),
        ("Other", "reason.vague"),
        ("test", "reason.vague"),
        ("", "reason.vague"),
        ("   ", "reason.vague"),
        ("investigation 24-1234", "reason.vague"),
        ("ok", "reason.too-short"),
        ("criminal case 24-9", "reason.too-few-words"),
    ],
)
def test_flags(text: str, rule: str) -> None:
    assert rule in _rules(text)


# Most of these were allowed before issue 12 (reasons that merely contain the letters follow).
DISGUISES = [
    ("ICE's request on the driver", "reason.immigration"),  # apostrophe
    ("ICE\u2019s request on the driver", "reason.immigration"),
    ("\u0399C\u0395 request on the driver", "reason.immigration"),  # Greek capitals
    ("\u0131mmigration status of driver", "reason.immigration"),  # dotless i
    ("\ua4f2CE request on the driver", "reason.immigration"),  # Lisu
    ("lCE request on the driver", "reason.immigration"),  # lower-case L for I
    ("1CE request on the driver", "reason.immigration"),
    ("HSl referral on the car", "reason.immigration"),
    ("\U0001d408\U0001d402\U0001d404 request on driver", "reason.immigration"),  # maths bold
    ("\u24b8BP lookout on the pickup", "reason.immigration"),  # circled C: NFKC alone reads it
    ("2\u24677(g) partner request", "reason.immigration"),  # circled 8
    ("de\u2063portation hearing subject", "reason.immigration"),  # invisible separator
    ("I\u2062C\u2062E request on driver", "reason.immigration"),  # invisible times
    ("I\u3164C\u3164E request on driver", "reason.immigration"),  # Hangul filler
    ("I\u034fC\u034fE request on driver", "reason.immigration"),  # grapheme joiner
    ("I\U000e0020C\U000e0020E request on driver", "reason.immigration"),  # tag space
    ("I\u0336C\u0336E request on driver", "reason.immigration"),  # combining overlay
    ("a\u0308bortion clinic patient", "reason.reproductive-health"),
    ("de\u0301portation hearing subject", "reason.immigration"),
    ("I CE request on the driver", "reason.immigration"),  # spacing inside acronyms
    ("H S I referral on the car", "reason.immigration"),
    ("2 8 7 g partner request", "reason.immigration"),
    ("2-8-7(g) partner request", "reason.immigration"),
    ("d e p o r t a t i o n hearing", "reason.immigration"),
    ("dëportation hearing subject", "reason.immigration"),  # accents
    ("déportatión order on driver", "reason.immigration"),
    ("abórtion clinic in Hartford", "reason.reproductive-health"),
    ("la migra busca al conductor", "reason.immigration"),  # Spanish
    ("estatus de inmigración del conductor", "reason.immigration"),
    ("orden de deportación pendiente", "reason.immigration"),
    ("conductor indocumentado en la ruta 9", "reason.immigration"),
    ("viaje para un aborto en Hartford", "reason.reproductive-health"),
    ("interrupción del embarazo en la clínica", "reason.reproductive-health"),
    ("joven transgénero en la clínica", "reason.gender-affirming-care"),
    ("manifestantes frente al ayuntamiento", "reason.protest"),
    ("protesta en la plaza central", "reason.protest"),
    ("mi ex novia cambió de carro", "reason.personal"),
    ("disputa por la custodia del niño", "reason.civil"),
    ("a petición de un agente federal", "reason.on-behalf"),
    ("agentes federales buscan el carro", "reason.federal"),
    ("Homeland Security request on driver", "reason.immigration"),  # agencies spelt out
    ("Department of Homeland Security lookout", "reason.immigration"),
    ("Enforcement and Removal Operations target", "reason.immigration"),
    ("Immigration and Customs Enforcement lookout", "reason.immigration"),
    ("Homeland Security Investigations case", "reason.immigration"),
]


@pytest.mark.parametrize(("text", "rule"), DISGUISES)
def test_disguises_and_plain_wording_are_caught(text: str, rule: str) -> None:
    assert rule in screen(text).flags, normalize_reason(text)


@pytest.mark.parametrize(
    "text",
    [
        "shoplifting at Price Chopper, suspect left in grey sedan",
        "burglary on Alice St, car seen leaving",
        "police report filed by the owner of the Honda",
        "office break-in, laptop stolen from desk",
        "car parked by the ice rink was broken into",
        "vehicle slid on ice, hit pedestrian and fled",
        "suspect in custody named the driver",
        "Ice on the road, hit and run at Elm and Main",
        "migraine medication stolen from the car",
        "robo de portátil en el estacionamiento",  # "de portátil" is not "deport..."
        "sospechoso bajo custodia identificó al conductor",  # in custody
        "venta de armas ilegales desde la camioneta",  # illegal weapons
        "vehículo registrado en nombre de su hermano",  # registered in the name of
        "corner of Vernon and Elm, stolen Honda",  # "rn" read as "m" stays innocent
        "zero damage, hero witness saw the plate",
        "Delaware DE plate on stolen truck",
    ],
)
def test_words_that_merely_contain_the_letters_stay_allowed(text: str) -> None:
    assert not _rules(text), _rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "stolen white Honda reported 11/2",
        "suspect in custody named the driver",  # "custody" is not a custody dispute
        "ice cream truck theft on Main",  # lower-case ice without immigration context
        "ICE CREAM truck stolen from depot",  # upper-case ICE followed by a harmless noun
        "vehicle slid on ice, hit pedestrian and fled",
        "motorcycle stolen from Price St garage",
        "Stolen Pontiac Trans Am from dealer lot",
        "aborted pursuit, suspect fled in stolen car",
        "stolen in March from driveway",
        "personal property stolen from vehicle",
        "garage burglaries on Nice Ave",
        "office and police service notice",
        "immediate danger, armed suspect vehicle",
        "victim's ex-husband violated protective order",
        "federal firearms licensee burglarized overnight",
        "assist Hartford PD with stolen car",
        "reporter of the crash saw plate",
        "stolen Camaro Rally Sport from garage",
    ],
)
def test_deliberate_non_matches(text: str) -> None:
    assert not _rules(text), _rules(text)


def test_thresholds_are_parameters() -> None:
    assert "reason.too-short" in _rules("stolen car")
    assert not screen_reason("stolen car", min_length=5)
    found = screen_reason("stolen truck seen", min_words=4)
    assert [r.rule for r in found] == ["reason.too-few-words"]


def test_reasons_say_which_word() -> None:
    reasons = screen_reason("possible deportation case")
    assert reasons[0].rule == "reason.immigration"
    assert '"deportation"' in reasons[0].text


def test_normalize_undoes_disguises() -> None:
    assert normalize_reason("I.C.E. / H S I") == "ice hsi"
    assert normalize_reason("287(g)") == "287g"
    # the plain reading, with acronyms joined from capital fragments
    assert normalize_reason("IC E agents took it") == "ice agents took it"
    assert normalize_reason("driver s m i t h") == "driver smith"


def test_prohibited_topics_are_the_purposes_found_and_nothing_else() -> None:
    found = prohibited_topics("ICE asked, per agent Smith, after the protest")
    assert {r.rule for r in found} == {"reason.immigration", "reason.protest"}
    assert prohibited_topics("investigation") == []  # vague, but no purpose
    assert prohibited_topics("stolen silver sedan seen leaving the burglary") == []


def test_the_whole_reason_is_screened_however_long() -> None:
    """Issue 12: a long reason ending in a prohibited purpose was allowed (2,000-char window)."""
    filler = "stolen car seen near the mall "
    for size in (100, 1999, 2000, 2001, 5000, 60_000):
        found = screen((filler * (size // len(filler) + 1))[:size] + " deportation")
        assert "reason.immigration" in found.flags, size
    assert "reason.immigration" not in screen(filler * 2000).flags


def test_the_length_cap_is_one_precise_error() -> None:
    assert check_reason_length("x" * MAX_REASON_LENGTH) == "x" * MAX_REASON_LENGTH
    with pytest.raises(InputError) as info:
        check_reason_length("x" * (MAX_REASON_LENGTH + 1))
    assert info.value.field == "reason"
    assert f"{MAX_REASON_LENGTH + 1:,} characters" in info.value.message
    assert f"at most {MAX_REASON_LENGTH:,}" in info.value.message


@given(st.text(max_size=300))
def test_screening_never_raises(text: str) -> None:
    found = screen(text)
    assert found.flags <= set(ALL_FLAGS)
    assert {r.rule for r in found.reasons} >= found.flags
    assert all(r.text for r in found.reasons)
