"""A small labelled corpus and a fast pipeline config, so tests train a real model in seconds.

The tests never depend on the project corpus: they write these examples to a file of their own.
"""
from __future__ import annotations

import json
from pathlib import Path

from spacy.util import load_config

from civicwatch.classify.files import PIPELINE_CONFIG

THEME_TEXTS: dict[str, list[str]] = {
    "abuse_of_force": [
        "The police beat my brother with batons until he bled from the head.",
        "Soldiers kicked and punched the boy at the checkpoint, his arm is broken.",
        "An officer shot my neighbour in the leg during the raid on our street.",
        "dem polis beat me wit belt fo di station, me back get wound",
        "Warders flogged the inmates with cables and one lost an eye.",
        "They tortured him with a plastic bag over his head to make him confess.",
        "the soja slap my mama and kick her to the ground, she bleeding",
        "Officers used tear gas and batons on the peaceful march, many injured.",
        "He was beaten unconscious in the police van and left on the road.",
        "police knack my pikin wit gun butt, e head swell bad",
        "Customs officers hit the trader with an iron rod until he fell.",
        "My husband was shot dead by a soldier at the junction.",
    ],
    "unlawful_detention": [
        "My son has been held at the station for nine days without charge.",
        "They arrested my father and will not let a lawyer or the family see him.",
        "dem lock my broda fo cell since last week, no court no charge",
        "My sister was taken by police and nobody knows where she is held.",
        "He is detained past the legal limit and has not seen a magistrate.",
        "The remand prisoners sleep on the floor of an overcrowded cell with no water.",
        "they hold my husband incommunicado, we no see am for two weeks",
        "My uncle was arrested without a warrant and is still in custody without charge.",
        "The detainee is denied medicine in the cell and his family cannot visit.",
        "Police detained twenty young men overnight without telling anyone why.",
        "My brother disappeared after arrest and the station denies holding him.",
        "dem arrest me papa no reason, e still dey cell, no lawyer",
    ],
    "corruption": [
        "The officer demanded a bribe of fifty thousand to release my car.",
        "At the checkpoint they collect money from every driver or you cannot pass.",
        "dem say pay 200k before dem free my broda, na bribe",
        "I had to pay the sergeant before he would write down my complaint.",
        "They asked for money to give my son a place in the recruitment.",
        "The inspector takes cash from the drug dealers to protect them.",
        "customs officer say if I no pay something e go seize my goods",
        "We paid the officers so the case file would disappear.",
        "The border guards extort a fee from every trader crossing.",
        "He said pay or your husband stays in jail, it is extortion.",
        "bribe bribe bribe every day at dis checkpoint, dem collect 10k",
        "The recruiters sold places in the training intake to relatives for money.",
    ],
    "misuse_of_resources": [
        "The fuel for the patrol vehicles is sold by the commander at the market.",
        "There are ghost workers on the payroll of the barracks, names of dead men.",
        "The official vehicle is used to carry the inspector's family to the village every weekend.",
        "Rations meant for the soldiers were sold to traders in town.",
        "The procurement of uniforms was given to a company owned by the director's wife at double price.",
        "dem sell di station generator and di fuel money lost",
        "The budget for the new cells was diverted and the building was never finished.",
        "Equipment donated to the prison service is sold in the shops.",
        "The motorbikes bought for patrols are used as private taxis by officers.",
        "Money for the boots and uniforms disappeared from the accounts.",
        "ghost names on the pay roll, di money go to di officer pocket",
        "Diesel from the army depot is siphoned and sold every night.",
    ],
    "misconduct": [
        "The officer insulted me and called me stupid in front of everyone.",
        "A policeman was drunk on duty and shouting at people at the market.",
        "He threatened to lock me up if I did not stop asking questions.",
        "The sergeant keeps making sexual comments to the women who come to the station.",
        "dem officer rude too much, e curse my mama for nothing",
        "The warder humiliates visitors and refuses them because of their tribe.",
        "Officers harass the street traders every morning with insults.",
        "The commander threatened to ruin my business after I refused his advances.",
        "He was rude, abusive and unprofessional when I reported the theft.",
        "di polis man drunk fo duty an de shout pan everybody",
        "They discriminate against people with disabilities at the desk.",
        "The officer abused his authority to evict my tenant without any order.",
    ],
    "service_failure": [
        "We called the police when robbers came but nobody answered for three hours.",
        "My case file was lost and the station says there is nothing they can do.",
        "The theft was reported a year ago and nothing was ever investigated.",
        "There are no patrols in our area at night and crime is rising.",
        "The station is closed every weekend and there is nobody to report to.",
        "we call di emergency number but no polis come, di tif dem go",
        "Nobody investigated my daughter's rape although we gave names.",
        "The police never came after the fire even though we called many times.",
        "The post is unstaffed and the phone rings without answer.",
        "dem no investigate notin, dem say no fuel fo di vehicle",
        "The emergency response is so slow that the victim died waiting.",
        "My complaint about the stolen goats was never followed up.",
    ],
    "surveillance_privacy": [
        "Intelligence agents are tapping my phone and reading my messages.",
        "My personal data from the registration was leaked to strangers.",
        "Men follow me everywhere since I wrote about the minister, they are watching my house.",
        "The security service published the names and addresses of the witnesses.",
        "dem de listen to my phone, dem tell me wetin I talk yesterday",
        "Journalists are being watched and intimidated by state security officers.",
        "They copied everything from my phone at the checkpoint without a warrant.",
        "My photo and ID number were shared on social media by an officer.",
        "Activists receive calls describing their movements from plain clothes agents.",
        "di agents dem de follow me and snap my house every night",
        "A list of informants with phone numbers was leaked from the office.",
        "They installed a camera outside my office and read my emails.",
    ],
    "personnel_welfare": [
        "As a constable I have not received my salary for five months.",
        "Our allowances were cut and the barracks roof leaks on our children.",
        "I was passed over for promotion three times while juniors went ahead.",
        "We soldiers have no boots and no training for the new rifles.",
        "My transfer to a far district was punishment for complaining about pay.",
        "we warders no get pay since january, how we go feed we family",
        "The housing for officers has no water and no toilets.",
        "Our risk allowance for the operation was never paid to the troops.",
        "I am an officer and my pension was stopped without any reason.",
        "dem no pay we salary, no uniform, no equipment fo di job",
        "Recruits were promised training but we sit in the barracks doing nothing.",
        "Promotion exams were cancelled and only friends of the boss were promoted.",
    ],
}

URGENT = {
    "The police beat my brother with batons until he bled from the head.",
    "An officer shot my neighbour in the leg during the raid on our street.",
    "the soja slap my mama and kick her to the ground, she bleeding",
    "My sister was taken by police and nobody knows where she is held.",
    "they hold my husband incommunicado, we no see am for two weeks",
    "The detainee is denied medicine in the cell and his family cannot visit.",
    "My brother disappeared after arrest and the station denies holding him.",
    "He threatened to lock me up if I did not stop asking questions.",
    "The emergency response is so slow that the victim died waiting.",
    "Men follow me everywhere since I wrote about the minister, they are watching my house.",
}

ACTOR_WORDS = {"police": ("police", "polis", "officer", "sergeant", "station", "constable", "inspector"),
               "military": ("soldier", "soja", "barracks", "army", "troops"),
               "corrections": ("warder", "prison", "inmate"),
               "border": ("customs", "border"),
               "intelligence": ("intelligence", "agents", "security service", "state security")}

PLACES = ["in Kenema", "near Makeni", "at Waterloo", "in Bo", "", "", "", ""]
PLACE_CODES = {"in Kenema": ("eastern", "kenema"), "near Makeni": ("northern", "bombali"),
               "at Waterloo": ("western_area", "western_area_rural"), "in Bo": ("southern", "bo"), "": (None, None)}


def _actor(text: str) -> str | None:
    lowered = text.lower()
    for code, words in ACTOR_WORDS.items():
        if any(word in lowered for word in words):
            return code
    return None


def fixture_examples() -> list[dict]:
    """About a hundred labelled complaints with theme, urgency, actor, place and channel."""
    rows = []
    for theme, texts in THEME_TEXTS.items():
        for i, text in enumerate(texts):
            place = PLACES[i % len(PLACES)]
            region, district = PLACE_CODES[place]
            full = f"{text[:-1]} {place}{text[-1]}" if place and text[-1] in ".!" else (
                f"{text} {place}" if place else text)
            rows.append({"text": full, "theme": theme, "actor": _actor(text), "region": region,
                         "district": district, "urgent": text in URGENT,
                         "channel": "sms" if text[:1].islower() else "web"})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_fast_config(path: Path) -> Path:
    """The project's pipeline config, with fewer epochs and folds and a smaller table: seconds, not minutes."""
    config = load_config(PIPELINE_CONFIG)
    config["training"]["max_epochs"] = 6
    config["training"]["dropout"] = 0.0  # a hundred texts and six epochs: dropout would leave it under-trained
    config["civicwatch"]["urgency_folds"] = 2
    for name in ("textcat", "urgency", "actor"):
        config["components"][name]["model"]["length"] = 16384
    config.to_disk(path)
    return path


def train_fixture_model(directory: Path) -> Path:
    """Train on the fixture corpus (training split and held-out split as in production) and save the model."""
    from civicwatch.classify.classifier import model_meta
    from civicwatch.classify.corpus import read_examples, split_examples
    from civicwatch.classify.gazetteer import terms_from_taxonomy
    from civicwatch.classify.registry import new_version, save_model
    from civicwatch.classify.training import train_pipeline
    from civicwatch.taxonomy.operations import read_taxonomy

    directory.mkdir(parents=True, exist_ok=True)
    corpus = write_jsonl(directory / "fixture.jsonl", fixture_examples())
    config = write_fast_config(directory / "fast.cfg")
    train, _ = split_examples(read_examples([corpus]))
    trained = train_pipeline(train, config)
    meta = {**model_meta(trained), "label_field": "theme",
            "data": {"files": [], "hash": "0" * 64, "held_out_rule": None}}
    return save_model(trained, meta, terms_from_taxonomy(read_taxonomy()), directory / "models",
                      new_version("f1x7u4e5"), [])


def install_model(app, source: Path) -> str:
    """Copy a trained model directory into the app's MODEL_DIR and make it active; returns its version."""
    import shutil

    from civicwatch.classify.registry import activate_model

    root = Path(app.config["MODEL_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, root / source.name)
    activate_model(source.name, root)
    return source.name


# Texts whose answers are recorded in data/classifier_answers.json: every fixture text, places, misspellings,
# generic and place words, other languages and text with nothing to read.
ANSWER_SAMPLE: list[str] = [text for texts in THEME_TEXTS.values() for text in texts] + [
    "The polcie beat my son near Freetwon and the OC laughed",
    "An officer at the barracks in Kenema took my phone",
    "military officer slap me for Bo junction, I bleed",
    "Customs men at the border post near Kailahun seized the goods of my wife",
    "Il a été arrêté hier par les gendarmes et personne ne sait où il est détenu",
    "asdkjh qwpoeiru zmxncbv lkjhgf",
    "",
    "\U0001f621\U0001f621\U0001f621 !!!",
    "pleeeease help dem lock my broda fo Makeni cell since Monday",
    "The station is closed every night and nobody answers the emergency line in Port Loko",
]
