"""Per-language grammars for signs and document pages (data only; see ``languages.py``).

Each language is a small context-free grammar: ``rules`` maps a symbol to its alternatives, and
``<symbol>`` in an alternative expands it. Built-in terminals (numbers, dates, prices) come from
``languages.py``. Fillers are chosen so no alternative needs agreement the grammar cannot make:
Russian cities are listed in the case their template needs (``city_loc``, ``city_acc``), people
who approve are grammatically male where the verb shows gender, and counts are written as
"label: number" so no plural form depends on the number. Phrases were written by hand and read
back by Tesseract with each language's data (README: recognizer agreement per script).
"""

from __future__ import annotations

from typing import Any

_ENGLISH: dict[str, Any] = {
    "script": "latin",
    "tesseract": "eng",
    "direction": "ltr",
    "date": "{y}-{m:02d}-{d:02d}",
    "rules": {
        "sign": [
            "<shop>",
            "Open <h1>:00-<h2>:00",
            "Platform <n1>",
            "Gate <letter><n2>",
            "Exit <n1>",
            "Room <n3>",
            "<notice>",
            "<item> $<n1>",
        ],
        "shop": ["Bakery", "Pharmacy", "Coffee House", "Bookshop", "Flower Shop", "Hotel"],
        "notice": ["No Parking", "Staff Only", "Please Close the Door", "Wait Here"],
        "item": ["Fresh Bread", "Coffee", "Apples", "Green Tea", "Flowers"],
        "title": ["Invoice", "Meeting Notes", "Delivery Note", "Project Report", "Order Form"],
        "sentence": [
            "Order <n4> was shipped to <city> on <date>.",
            "<person> approved the budget on <date>.",
            "The meeting in <city> starts at <h1>:00 on <date>.",
            "Payment of <price> is due by <date>.",
            "Please contact <person> about order <n4>.",
            "Number of stores in <city>: <n2>.",
        ],
        "city": ["London", "Boston", "Denver", "Dublin", "Toronto", "Sydney"],
        "person": ["Maya Chen", "Liam Okafor", "Olga Novak", "Noah Silva", "Iris Haddad"],
        "price": ["$<n3>"],
        "month": ["January", "February", "March"],
        "product": ["Bread", "Milk", "Cheese", "Tea"],
    },
    "form": {
        "Name": "person",
        "Date": "date",
        "Phone": "phone",
        "City": "city",
        "Order No.": "n4",
        "Amount": "price",
    },
    "table": {"group": "City", "item": "Product", "values": "Sales"},
}

_FRENCH: dict[str, Any] = {
    "script": "latin",
    "tesseract": "fra",
    "direction": "ltr",
    "date": "{d:02d}/{m:02d}/{y}",
    "rules": {
        "sign": [
            "<shop>",
            "Ouvert de <h1>h à <h2>h",
            "Quai <n1>",
            "Sortie <n1>",
            "Chambre <n3>",
            "<notice>",
            "<item> <n1> €",
        ],
        "shop": ["Boulangerie", "Pharmacie", "Café", "Librairie", "Fleuriste", "Hôtel"],
        "notice": [
            "Stationnement interdit",
            "Réservé au personnel",
            "Fermez la porte",
            "Attendez ici",
        ],
        "item": ["Pain frais", "Café", "Pommes", "Thé vert", "Fleurs"],
        "title": [
            "Facture",
            "Compte rendu de réunion",
            "Bon de livraison",
            "Rapport de projet",
            "Bon de commande",
        ],
        "sentence": [
            "La commande <n4> a été expédiée à <city> le <date>.",
            "<person> a approuvé le budget le <date>.",
            "La réunion à <city> commence à <h1>h le <date>.",
            "Le paiement de <price> est dû avant le <date>.",
            "Contactez <person> au sujet de la commande <n4>.",
            "Nombre de magasins à <city> : <n2>.",
        ],
        "city": ["Paris", "Lyon", "Marseille", "Lille", "Nantes", "Toulouse"],
        "person": ["Marie Dubois", "Jean Martin", "Claire Petit", "Luc Bernard"],
        "price": ["<n3> €"],
        "month": ["Janvier", "Février", "Mars"],
        "product": ["Pain", "Lait", "Fromage", "Thé"],
    },
    "form": {
        "Nom": "person",
        "Date": "date",
        "Téléphone": "phone",
        "Ville": "city",
        "Commande": "n4",
        "Montant": "price",
    },
    "table": {"group": "Ville", "item": "Produit", "values": "Ventes"},
}

_RUSSIAN: dict[str, Any] = {
    "script": "cyrillic",
    "tesseract": "rus",
    "direction": "ltr",
    "date": "{d:02d}.{m:02d}.{y}",
    "rules": {
        "sign": [
            "<shop>",
            "Открыто с <h1>:00 до <h2>:00",
            "Платформа <n1>",
            "Выход <n1>",
            "Комната <n3>",
            "<notice>",
            "<item> <n2> руб.",
        ],
        "shop": ["Пекарня", "Аптека", "Кофейня", "Книжный магазин", "Цветы", "Гостиница"],
        "notice": ["Стоянка запрещена", "Только для персонала", "Закрывайте дверь", "Ждите здесь"],
        "item": ["Свежий хлеб", "Кофе", "Яблоки", "Зелёный чай", "Цветы"],
        "title": ["Счёт", "Протокол совещания", "Накладная", "Отчёт о проекте", "Бланк заказа"],
        "sentence": [
            "Заказ № <n4> отправлен в <city_acc> <date>.",
            "<person> утвердил бюджет <date>.",
            "Совещание в <city_loc> начнётся в <h1>:00 <date>.",
            "Сумма <price> подлежит оплате до <date>.",
            "Контактное лицо по заказу № <n4>: <person>.",
            "Число магазинов в <city_loc>: <n2>.",
        ],
        "city": ["Москва", "Казань", "Самара", "Пермь", "Тверь"],
        "city_acc": ["Москву", "Казань", "Самару", "Пермь", "Тверь"],
        "city_loc": ["Москве", "Казани", "Самаре", "Перми", "Твери"],
        "person": ["Иван Петров", "Олег Смирнов", "Андрей Козлов", "Павел Орлов"],
        "price": ["<n3> руб."],
        "month": ["Январь", "Февраль", "Март"],
        "product": ["Хлеб", "Молоко", "Сыр", "Чай"],
    },
    "form": {
        "ФИО": "person",
        "Дата": "date",
        "Телефон": "phone",
        "Город": "city",
        "Номер заказа": "n4",
        "Сумма": "price",
    },
    "table": {"group": "Город", "item": "Товар", "values": "Продажи"},
}

_ARABIC: dict[str, Any] = {
    "script": "arabic",
    "tesseract": "ara",
    "direction": "rtl",
    # "-", not "/": Noto Sans Arabic has no slash (Noto Naskh has neither)
    "date": "{d:02d}-{m:02d}-{y}",
    "rules": {
        "sign": [
            "<shop>",
            "مفتوح من <h1> إلى <h2>",
            "رصيف <n1>",
            "مخرج <n1>",
            "غرفة <n3>",
            "<notice>",
            "<item> <n2> ريال",
        ],
        "shop": ["مخبز", "صيدلية", "مقهى", "مكتبة", "محل زهور", "فندق"],
        "notice": ["ممنوع الوقوف", "للموظفين فقط", "يرجى إغلاق الباب", "انتظر هنا"],
        "item": ["خبز طازج", "قهوة", "تفاح", "شاي أخضر", "زهور"],
        "title": ["فاتورة", "محضر اجتماع", "إشعار تسليم", "تقرير المشروع", "نموذج طلب"],
        "sentence": [
            "تم شحن الطلب رقم <n4> إلى <city> بتاريخ <date>.",
            "وافق <person> على الميزانية بتاريخ <date>.",
            "يبدأ الاجتماع في <city> الساعة <h1> يوم <date>.",
            "يجب دفع مبلغ <price> قبل <date>.",
            "يرجى التواصل مع <person> بخصوص الطلب رقم <n4>.",
            "عدد المتاجر في <city>: <n2>.",
        ],
        "city": ["الرياض", "القاهرة", "دبي", "تونس", "بيروت", "جدة"],
        "person": ["أحمد حسن", "محمد علي", "خالد سعيد", "يوسف إبراهيم"],
        "price": ["<n3> ريال"],
        "month": ["يناير", "فبراير", "مارس"],
        "product": ["خبز", "حليب", "جبن", "شاي"],
    },
    "form": {
        "الاسم": "person",
        "التاريخ": "date",
        "الهاتف": "phone",
        "المدينة": "city",
        "رقم الطلب": "n4",
        "المبلغ": "price",
    },
    "table": {"group": "المدينة", "item": "المنتج", "values": "المبيعات"},
}

_HINDI: dict[str, Any] = {
    "script": "devanagari",
    "tesseract": "hin",
    "direction": "ltr",
    "date": "{d:02d}-{m:02d}-{y}",
    "rules": {
        "sign": [
            "<shop>",
            "खुला <h1> से <h2> बजे तक",
            "प्लेटफॉर्म <n1>",
            "निकास <n1>",
            "कमरा <n3>",
            "<notice>",
            "<item> <n2> रुपये",
        ],
        "shop": ["बेकरी", "दवा की दुकान", "कॉफी हाउस", "किताबों की दुकान", "होटल", "डाकघर"],
        "notice": [
            "यहाँ पार्किंग मना है",
            "केवल कर्मचारियों के लिए",
            "कृपया दरवाजा बंद रखें",
            "यहाँ प्रतीक्षा करें",
        ],
        "item": ["ताजी रोटी", "कॉफी", "सेब", "हरी चाय", "फूल"],
        "title": ["बिल", "बैठक का विवरण", "डिलीवरी नोट", "परियोजना रिपोर्ट", "ऑर्डर फॉर्म"],
        "sentence": [
            "ऑर्डर <n4> <date> को <city> भेजा गया।",
            "<person> ने <date> को बजट मंजूर किया।",
            "<city> में बैठक <date> को <h1> बजे शुरू होगी।",
            "<price> का भुगतान <date> तक करना है।",
            "ऑर्डर <n4> के बारे में <person> से संपर्क करें।",
            "<city> में दुकानों की संख्या: <n2>।",
        ],
        "city": ["दिल्ली", "मुंबई", "जयपुर", "पुणे", "लखनऊ", "भोपाल"],
        "person": ["राहुल शर्मा", "अमित वर्मा", "सुनील गुप्ता", "विजय सिंह"],
        "price": ["<n3> रुपये"],
        "month": ["जनवरी", "फरवरी", "मार्च"],
        "product": ["रोटी", "दूध", "पनीर", "चाय"],
    },
    "form": {
        "नाम": "person",
        "तारीख": "date",
        "फोन": "phone",
        "शहर": "city",
        "ऑर्डर संख्या": "n4",
        "राशि": "price",
    },
    "table": {"group": "शहर", "item": "उत्पाद", "values": "बिक्री"},
}

_CHINESE: dict[str, Any] = {
    "script": "han",
    "tesseract": "chi_sim",
    "direction": "ltr",
    "date": "{y}年{m}月{d}日",
    "rules": {
        "sign": [
            "<shop>",
            "营业时间 <h1>:00-<h2>:00",
            "<n1>号站台",
            "<n1>号出口",
            "<n3>号房间",
            "<notice>",
            "<item> <n2>元",
        ],
        "shop": ["面包店", "药店", "咖啡馆", "书店", "花店", "酒店"],
        "notice": ["禁止停车", "员工通道", "请随手关门", "请在此等候"],
        "item": ["新鲜面包", "咖啡", "苹果", "绿茶", "鲜花"],
        "title": ["发票", "会议纪要", "送货单", "项目报告", "订货单"],
        "sentence": [
            "订单<n4>已于<date>发往<city>。",
            "<person>于<date>批准了预算。",
            "<city>的会议将于<date><h1>点开始。",
            "请在<date>之前支付<price>。",
            "关于订单<n4>，请联系<person>。",
            "<city>共有<n2>家门店。",
        ],
        "city": ["北京", "上海", "广州", "成都", "杭州", "南京"],
        "person": ["王伟", "李娜", "张敏", "刘洋", "陈静"],
        "price": ["<n3>元"],
        "month": ["一月", "二月", "三月"],
        "product": ["面包", "牛奶", "奶酪", "茶叶"],
    },
    "form": {
        "姓名": "person",
        "日期": "date",
        "电话": "phone",
        "城市": "city",
        "订单号": "n4",
        "金额": "price",
    },
    "table": {"group": "城市", "item": "产品", "values": "销量"},
}

_JAPANESE: dict[str, Any] = {
    "script": "japanese",
    "tesseract": "jpn",
    "direction": "ltr",
    "date": "{y}年{m}月{d}日",
    "rules": {
        "sign": [
            "<shop>",
            "営業時間 <h1>:00-<h2>:00",
            "<n1>番線",
            "<n1>番出口",
            "<n3>号室",
            "<notice>",
            "<item> <n3>円",
        ],
        "shop": ["パン屋", "薬局", "喫茶店", "本屋", "花屋", "ホテル"],
        "notice": [
            "駐車禁止",
            "関係者以外立入禁止",
            "ドアを閉めてください",
            "こちらでお待ちください",
        ],
        "item": ["食パン", "コーヒー", "りんご", "緑茶", "花束"],
        "title": ["請求書", "議事録", "納品書", "プロジェクト報告書", "注文書"],
        "sentence": [
            "注文<n4>は<date>に<city>へ発送されました。",
            "<person>さんが<date>に予算を承認しました。",
            "<city>での会議は<date><h1>時に始まります。",
            "<price>を<date>までにお支払いください。",
            "注文<n4>については<person>さんにお問い合わせください。",
            "<city>の店舗数は<n2>です。",
        ],
        "city": ["東京", "大阪", "京都", "名古屋", "札幌", "福岡"],
        "person": ["佐藤健", "鈴木花子", "高橋誠", "田中美咲"],
        "price": ["<n3>円"],
        "month": ["1月", "2月", "3月"],
        "product": ["パン", "牛乳", "チーズ", "お茶"],
    },
    "form": {
        "氏名": "person",
        "日付": "date",
        "電話番号": "phone",
        "都市": "city",
        "注文番号": "n4",
        "金額": "price",
    },
    "table": {"group": "都市", "item": "商品", "values": "販売数"},
}

#: ISO 639-1 code -> grammar
GRAMMARS: dict[str, dict[str, Any]] = {
    "en": _ENGLISH,
    "fr": _FRENCH,
    "ru": _RUSSIAN,
    "ar": _ARABIC,
    "hi": _HINDI,
    "zh": _CHINESE,
    "ja": _JAPANESE,
}
