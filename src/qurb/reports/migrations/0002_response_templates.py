"""Starting response templates; administrators edit them afterwards in the admin."""

from typing import Any

from django.db import migrations

TEMPLATES = [
    (
        "",
        "acknowledged",
        "Received and read",
        "توصلنا ببلاغكم وقرأناه. شكرا لكم على مساهمتكم في أمن الحي.",
        "Nous avons bien reçu et lu votre signalement. Merci de contribuer à la sécurité du quartier.",
        "We have received and read your report. Thank you for helping keep the neighbourhood safe.",
    ),
    (
        "",
        "investigating",
        "Being checked",
        "تقوم مصالح الدائرة بالتحقق من المعلومات التي قدمتموها.",
        "Les services de l'arrondissement vérifient les informations que vous avez données.",
        "The district is checking the information you gave.",
    ),
    (
        "drugs",
        "investigating",
        "Drugs: patrols and checks",
        "تم إبلاغ فرقة محاربة المخدرات، وستقوم دوريات بمراقبة المكان في الأوقات التي ذكرتموها.",
        "La brigade des stupéfiants est informée ; des patrouilles surveilleront le lieu aux heures que vous avez indiquées.",
        "The drugs squad has been informed; patrols will watch the place at the times you gave.",
    ),
    (
        "drugs",
        "action_planned",
        "Drugs: action near a school",
        "ستتم برمجة دوريات راجلة عند أوقات الدخول والخروج من المؤسسة التعليمية.",
        "Des patrouilles à pied seront programmées aux heures d'entrée et de sortie de l'établissement.",
        "Foot patrols will be scheduled at the school's entry and exit times.",
    ),
    (
        "robbery",
        "investigating",
        "Robbery: patrols on the route",
        "سيتم تعزيز الدوريات في المسار الذي ذكرتموه، خاصة في الساعات المذكورة.",
        "Les patrouilles seront renforcées sur le trajet indiqué, surtout aux heures signalées.",
        "Patrols will be reinforced on the route you describe, especially at the hours given.",
    ),
    (
        "road",
        "action_planned",
        "Road: traffic checks",
        "ستتم برمجة عمليات مراقبة للسرعة والدراجات النارية في هذا المكان.",
        "Des contrôles de vitesse et des deux-roues seront programmés à cet endroit.",
        "Speed and motorbike checks will be scheduled at this place.",
    ),
    (
        "",
        "resolved",
        "Resolved",
        "تمت معالجة المشكل. إذا تكرر، لا تترددوا في إخبارنا.",
        "Le problème a été traité. S'il se reproduit, n'hésitez pas à nous le signaler.",
        "The problem has been dealt with. If it happens again, please tell us.",
    ),
    (
        "",
        "not_police",
        "Not a police matter",
        "هذا الموضوع من اختصاص مصلحة أخرى (الجماعة أو السلطة المحلية)؛ تمت إحالته عليها.",
        "Ce sujet relève d'un autre service (commune ou autorité locale) ; nous le lui avons transmis.",
        "This is a matter for another service (the municipality or local authority); we passed it on.",
    ),
]


def add(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("reports", "ResponseTemplate")
    for category, status, title, ar, fr, en in TEMPLATES:
        model.objects.get_or_create(
            category=category,
            status=status,
            title=title,
            defaults={"text_ar": ar, "text_fr": fr, "text_en": en},
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
