"""The words reason screening looks for, in English and Spanish, by the rule they raise.

Each entry is a regular expression over a *reading* of the reason (see ``normalize``): ASCII,
lower case, accents gone, one space between words. So ``inmigración`` is written ``inmigracion``
here, and a pattern never needs to care about case, look-alikes or invisible characters.
Choices that keep innocent wording allowed are explained in docs/policy.md and pinned by tests.
"""

from __future__ import annotations

import re

TERMS: dict[str, str] = {
    "reason.immigration": (
        r"imm?[ia]?gra\w*|inmigra\w*|imm|immig|deport\w*|287g|hsi|cbp|ero|dhs|uscis|usbp|"
        r"undocumented|illegals|illegal aliens?|aliens? registration|unlawful(ly)? presen\w*|"
        r"visa overstay\w*|overstay\w*|border ?patrol|customs ?and ?border\w*|green card|"
        r"removal (order|proceedings?|case|hearing)|detainers?|"
        r"(department ?of ?)?homeland ?security( ?investigations?)?|"
        r"enforcement ?(and ?)?removal( ?operations?)?|customs ?enforcement|"
        r"la ?migra|migra|migrants?|migrat\w*|migracion\w*|migrante\w*|indocumentad[oa]s?|"
        r"extranjeros? ilegal\w*|patrulla fronteriza|proteccion fronteriza|"
        r"orden de (expulsion|remocion)|estatus migratorio|"
        r"ice (ero|hsi|agents?|officers?|detainers?|holds?|raids?|enforcement|custody|requests?|"
        r"warrants?|field office|tfo|operations?|arrest\w*)|"
        r"(agents?|officers?|raids?) (from |with )?ice"
    ),
    "reason.reproductive-health": (
        r"abortion\w*|abortifacient\w*|repro|reproductiv\w*|mifepristone|misoprostol|"
        r"planned parenthood|family planning|(terminat\w+|end\w*) (\w+ ){0,2}pregnan\w*|"
        r"pregnancy terminat\w*|womens? health clinic|women s health clinic|"
        r"aborto|abortos|abortar|abortista\w*|abortiv[oa]s?|interrup\w* (\w+ ){0,2}embarazo\w*|"
        r"planificacion familiar"
    ),
    "reason.gender-affirming-care": (
        r"gender (affirm\w*|clinic\w*|care|transition\w*|identity|reassignment)|transgender\w*|"
        r"nonbinary|non binary|gac|sex change|hormone (therapy|treatment|blockers?)|"
        r"puberty blockers?|top surgery|trans (care|youth|kids?|child|children|minors?|"
        r"patients?|healthcare|health|clinic|persons?|people|woman|women|man|men|teens?)|"
        r"transgenero\w*|no binari[oa]s?|cambio de sexo|terapia hormonal|"
        r"(afirmacion|clinica|atencion|transicion) de genero|bloqueadores? (de la )?pubertad|"
        r"(mujer|hombre|joven|jovenes|menor|menores) trans"
    ),
    "reason.protest": (
        r"protest\w*|counterprotest\w*|counter protest\w*|demonstrations?|demonstrators?|"
        r"rally(?! sport)|rallies|activists?|activism|marchers|picket\w*|sit in|antifa|blm|"
        r"journalists?|"
        r"organizers? of (the )?(march|rally)|vigil attendees?|"
        r"protesta\w*|manifestacion\w*|manifestante\w*|activista\w*|periodista\w*|piquete\w*"
    ),
    "reason.personal": (
        r"my (ex|exes|wife|husband|girlfriend|boyfriend|partner|spouse|neighbou?rs?|daughter\w*|"
        r"sons?|friends?|sister|brother|mother|father|mom|dad|family|kids?|relatives?|"
        r"landlord|tenant|own car|car|truck|vehicle)|curiosity|curious|nosy|just checking|"
        r"for fun|personal (reasons?|matter|business|interest|use)|for a friend|"
        r"friend asked|off duty interest|"
        r"mi (ex|exesposa|exesposo|exnovia|exnovio|esposa|esposo|mujer|marido|novia|novio|pareja|"
        r"vecin[oa]s?|hij[oa]s?|amig[oa]s?|herman[oa]|madre|padre|mama|papa|familia|suegr[oa]|"
        r"carro|coche|auto|camioneta)|curiosidad|asunto personal|motivos personales|"
        r"para un amigo"
    ),
    "reason.civil": (
        r"repo|repos|repossess\w*|debt\w*|collections?|bill collect\w*|skip ?trac\w*|"
        r"(child )?custody (dispute|battle|exchange|fight|matter)|child custody|"
        r"civil (matter|dispute|suit|case|issue)|lawsuit|eviction\w*|divorce\w*|child support|"
        r"process serv\w*|serve (papers|summons)|"
        r"deudas?|cobranzas?|cobro de deudas?|desalojo\w*|desahucio\w*|divorcio\w*|"
        r"reposesion\w*|pension alimenticia|(disputa|pleito|conflicto) (de|por) (la )?custodia|"
        r"custodia de (los |las )?(menores|hijos|hijas|ninos|ninas)|asunto civil|demanda civil"
    ),
    "reason.federal": (
        r"fbi|atf|dea|usms|usss|uspis|secret service|u ?s marshal\w*|united states marshal\w*|"
        r"federal (agents?|agency|agencies|partners?|requests?|task force|tfo|case|officers?)|"
        r"fed (request|case|agents?)|feds|special agents?|tfo|tfos|task force officers?|"
        r"joint terrorism task force|jttf|"
        r"(agentes?|agencia|alguaciles?|oficiales?) federal\w*|federales|servicio secreto"
    ),
    "reason.on-behalf": (
        r"on ?behalf( ?of)?|behalf ?of|obo|per (agent|sa|special agent|request of|the request of)|"
        r"requested by (an? )?(agent|sa|feds?|outside agency|other agency)|"
        r"agent request\w*|for (agent|sa|an outside agency|another agency|other agency)|"
        r"outside agency|other agency request|"
        r"assist\w* (\w+ ){0,3}(fbi|atf|dea|usms|feds?|federal|agents?|outside agency|"
        r"other agency|another agency|task force|marshals?)|"
        r"(en nombre|de parte|(a|por) (peticion|solicitud|pedido)) de (la |el |un |una |los )?"
        r"(agentes?|agencia|otra agencia|fbi|dea|atf|federales|ice)|"
        r"(asist\w*|apoy\w*) (a |al )?(la |el |los )?(fbi|dea|atf|federales|agentes?)"
    ),
}

# Acronyms a writer may split in capital fragments ("I CE", "HS I"): joined before matching.
ACRONYMS = frozenset(
    "ice hsi cbp ero dhs uscis usbp fbi atf dea usms usss uspis tfo jttf blm gac obo".split()
)

# Long words only for the digit reading: short acronyms would hit plates ("1CE" -> "ice").
LEET_TERMS = re.compile(
    r"(?:^|(?<= ))(?:imm?[ia]?gra\w*|inmigra\w*|deport\w*|abortion\w*|aborto\w*|transgen\w*|"
    r"protest\w*|reproductiv\w*)(?=$| )"
)
LEET_FLAG = {  # by the first two letters of the long words above
    "im": "reason.immigration",
    "in": "reason.immigration",
    "de": "reason.immigration",
    "ab": "reason.reproductive-health",
    "re": "reason.reproductive-health",
    "tr": "reason.gender-affirming-care",
    "pr": "reason.protest",
}

HARMLESS_AFTER_ICE = frozenset(
    "cream creams rink rinks storm storms machine machines maker makers skating skate hockey "
    "fishing chest cube cubes pack packs road roads patch dam scraper melt".split()
)

VAGUE_WORDS = frozenset(
    "investigation investigations investigative investigate investigating inv invest invst "
    "other others test testing tst info information check checking lookup look query search "
    "searching case report ongoing general misc miscellaneous training demo none agent per see "
    "officer request req follow followup lead leads intel intelligence activity possible poss "
    "etc lpr alpr flock data plate tag unknown pending tbd reason purpose "
    "investigacion investigaciones otro otros otra prueba pruebas consulta informacion caso "
    "busqueda verificacion revision agente oficial solicitud placa".split()
)
STOP_WORDS = frozenset(
    "the and for with from that this was were are has have had not but its into onto per via "
    "our their his her him she they them who what when where why how any all can may "
    "los las del que por para con una uno unos unas sin sobre este esta".split()
)
