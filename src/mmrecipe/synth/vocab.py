"""Word pools that several generators draw from (one list, one place).

Generators that drew from a shorter pool before the pools were shared take a prefix of it
(``FIRST_NAMES[:12]``), so that every seeded sample keeps its bytes.
"""

#: given names (prose's people, document customers)
FIRST_NAMES = (
    "Maya",
    "Liam",
    "Olga",
    "Noah",
    "Iris",
    "Hugo",
    "Tara",
    "Finn",
    "Rosa",
    "Umar",
    "Kira",
    "Ben",
    "Amara",
    "Jonas",
    "Leila",
    "Mateo",
    "Priya",
    "Sven",
    "Yuki",
    "Zoe",
)

#: family names
LAST_NAMES = (
    "Chen",
    "Okafor",
    "Silva",
    "Novak",
    "Haddad",
    "Berg",
    "Tanaka",
    "Moreau",
    "Kowal",
    "Reyes",
    "Dubois",
    "Ivanova",
    "Lindqvist",
    "Mensah",
    "Costa",
    "Fischer",
    "Ahmed",
)

#: short city names (chart categories, table rows)
CITIES = (
    "Oslo",
    "Lima",
    "Cairo",
    "Perth",
    "Quito",
    "Delhi",
    "Tokyo",
    "Rome",
    "Accra",
    "Hanoi",
    "Dublin",
    "Seoul",
    "Riga",
)
