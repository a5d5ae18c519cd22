"""The categories of the prevention plan, as shipped; ``services.sync_categories`` loads them.

Category names and explanations are data stored per language (an administrator may edit them),
so they live here and in the database rather than in the message catalogs.
"""
from __future__ import annotations

from typing import Any

CATEGORIES: list[dict[str, Any]] = [
    {
        "code": "school-racket", "questions": "school", "acknowledge_days": 1, "close_days": 15,
        "name_fr": "Racket aux abords d'une école",
        "name_nl": "Afpersing in de buurt van een school",
        "name_en": "Racket or extortion near a school",
        "description_fr": "Quelqu'un oblige un enfant ou un jeune à donner de l'argent, son téléphone ou d'autres objets, près d'une école ou sur le chemin de l'école.",
        "description_nl": "Iemand dwingt een kind of jongere om geld, een gsm of iets anders af te geven, bij een school of op weg ernaartoe.",
        "description_en": "Someone forces a child or young person to hand over money, a phone or other things, near a school or on the way to it.",
    },
    {
        "code": "transport-pickpocketing", "questions": "transport",
        "name_fr": "Vol à la tire dans les transports en commun",
        "name_nl": "Zakkenrollerij op het openbaar vervoer",
        "name_en": "Pickpocketing on public transport",
        "description_fr": "On vous a volé quelque chose dans votre sac ou votre poche, dans un tram, un bus, le métro ou à un arrêt.",
        "description_nl": "Er werd iets gestolen uit uw tas of zak, op de tram, de bus, de metro of aan een halte.",
        "description_en": "Something was stolen from your bag or pocket on a tram, bus or metro, or at a stop.",
    },
    {
        "code": "vehicle-theft", "questions": "vehicle",
        "name_fr": "Vol de voiture ou dans une voiture",
        "name_nl": "Diefstal van of uit een auto",
        "name_en": "Theft of or from a car",
        "description_fr": "Une voiture a été volée ou fracturée, ou quelque chose a été volé à l'intérieur.",
        "description_nl": "Een auto werd gestolen of opengebroken, of er werd iets uit gestolen.",
        "description_en": "A car was stolen or broken into, or something was taken from it.",
    },
    {
        "code": "vandalism", "questions": "damage",
        "name_fr": "Vandalisme et dégradations",
        "name_nl": "Vandalisme en beschadiging",
        "name_en": "Vandalism and damage",
        "description_fr": "Mobilier urbain, bâtiments, véhicules ou espaces verts abîmés, graffitis, vitres brisées.",
        "description_nl": "Schade aan straatmeubilair, gebouwen, voertuigen of groen, graffiti, ingeslagen ruiten.",
        "description_en": "Damaged street furniture, buildings, vehicles or green spaces, graffiti, broken windows.",
    },
    {
        "code": "burglary", "questions": "",
        "name_fr": "Cambriolage",
        "name_nl": "Inbraak",
        "name_en": "Burglary",
        "description_fr": "Quelqu'un est entré ou a tenté d'entrer par effraction dans un logement, un commerce ou une cave.",
        "description_nl": "Iemand heeft ingebroken of geprobeerd in te breken in een woning, een winkel of een kelder.",
        "description_en": "Someone broke into, or tried to break into, a home, a shop or a cellar.",
    },
    {
        "code": "other-theft", "questions": "theft",
        "name_fr": "Autre vol",
        "name_nl": "Andere diefstal",
        "name_en": "Other theft",
        "description_fr": "Un vol qui n'entre dans aucune catégorie ci-dessus, par exemple d'un vélo, d'un sac ou d'un téléphone.",
        "description_nl": "Een diefstal die in geen van de categorieën hierboven past, bijvoorbeeld van een fiets, een tas of een gsm.",
        "description_en": "A theft that fits none of the categories above, such as a bicycle, a bag or a phone.",
    },
    {
        "code": "other-nuisance", "questions": "",
        "name_fr": "Autre incivilité",
        "name_nl": "Andere overlast",
        "name_en": "Other nuisance",
        "description_fr": "Un autre problème de sécurité ou d'incivilité dans votre quartier.",
        "description_nl": "Een ander probleem van veiligheid of overlast in uw buurt.",
        "description_en": "Another safety problem or nuisance in your neighbourhood.",
    },
]
