"""The course types, as shipped; ``services.sync_course_types`` loads them.

Their names and descriptions are data stored per language (organisers may add types later), so
they live here and in the database rather than in the message catalogs.
"""
from __future__ import annotations

from typing import Any

COURSE_TYPES: list[dict[str, Any]] = [
    {
        "code": "driving-licence", "hours": 4,
        "name_fr": "Premiers secours pour le permis de conduire",
        "name_nl": "Eerste hulp voor het rijbewijs",
        "name_en": "First aid for the driving licence",
        "description_fr": "La séance pratique de quelques heures, en petit groupe, qui fait partie du permis de conduire en Région de Bruxelles-Capitale depuis novembre 2018. Faites d'abord la courte partie en ligne.",
        "description_nl": "De praktijksessie van enkele uren, in een kleine groep, die sinds november 2018 deel uitmaakt van het rijbewijs in het Brussels Hoofdstedelijk Gewest. Doe eerst het korte onlinegedeelte.",
        "description_en": "The practical session of a few hours, in a small group, that has been part of the driving licence in the Brussels-Capital Region since November 2018. Do the short online part first.",
    },
    {
        "code": "basic-first-aid", "hours": 15,
        "name_fr": "Formation de base aux premiers secours",
        "name_nl": "Basiscursus eerste hulp",
        "name_en": "Basic first aid",
        "description_fr": "Environ 15 heures sur plusieurs jours : réagir face à un malaise, une blessure, une brûlure, un étouffement ou un arrêt cardiaque, en attendant les secours.",
        "description_nl": "Ongeveer 15 uur, verspreid over enkele dagen: reageren bij onwel worden, een verwonding, een brandwonde, verstikking of een hartstilstand, tot de hulpdiensten er zijn.",
        "description_en": "About 15 hours over several days: what to do when someone is taken ill, injured, burnt, choking or in cardiac arrest, until help arrives.",
    },
    {
        "code": "cpr-aed", "hours": 4,
        "name_fr": "Réanimation et défibrillateur (RCP-DEA)",
        "name_nl": "Reanimatie en defibrillator (CPR-AED)",
        "name_en": "Resuscitation and defibrillator (CPR-AED)",
        "description_fr": "Environ 4 heures pour apprendre à reconnaître un arrêt cardiaque, appeler le 112, masser et utiliser un défibrillateur automatique.",
        "description_nl": "Ongeveer 4 uur om een hartstilstand te herkennen, 112 te bellen, hartmassage te geven en een automatische defibrillator te gebruiken.",
        "description_en": "About 4 hours to learn to recognise a cardiac arrest, call 112, give chest compressions and use an automated defibrillator.",
    },
]
