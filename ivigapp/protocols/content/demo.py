"""Demo clinical content for `seed_demo`: every advice key of the triage rule set plus instructions,
guidance, education and reminder texts, in English, Spanish, French and Arabic.

Written for this project from the facts in the shared source documents and clinical notes. It is
published (author and approver are different people) so the demo works end to end, but none of it
has been checked by a clinician: every version carries a note saying so, and every translation is
marked `needs_clinical_review` (reviewed so that patients see it in their language, flagged so that
the status page and the reading page say it is unchecked).

Idempotent: an item whose key already exists is left alone.
"""

from dataclasses import dataclass

from django.db import transaction

from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import ContentItem, ContentKind

DEMO_NOTE = "Demo text written from the project's source documents. It needs clinical review before real use."


@dataclass(frozen=True)
class DemoText:
    key: str
    kind: str
    essential: bool
    texts: dict  # language → (title, body); "en" is the source
    text_format: str = ContentItem.Format.MARKDOWN


ADVICE = ContentKind.ADVICE
DEMO_TEXTS = [
    # Advice keys of the triage rule set (ivigapp/protocols/triage/ruleset_v1.json). All essential:
    # the offline evaluator shows them the moment a reaction is logged, network or not.
    DemoText(
        "ADV_LOG_ONLY",
        ADVICE,
        True,
        {
            "en": (
                "Saved in your diary",
                "Thank you. This has been saved in your diary, and your care team will see it when they next "
                "review it.\n\nIf it gets worse or something new happens, report it again straight away.",
            ),
            "es": (
                "Guardado en su diario",
                "Gracias. Se ha guardado en su diario y su equipo de atención lo verá en su próxima revisión.\n\n"
                "Si empeora o aparece algo nuevo, vuelva a comunicarlo enseguida.",
            ),
            "fr": (
                "Enregistré dans votre journal",
                "Merci. Cette information est enregistrée dans votre journal et votre équipe soignante la verra "
                "lors de sa prochaine revue.\n\nSi cela s'aggrave ou si quelque chose de nouveau apparaît, "
                "signalez-le de nouveau sans attendre.",
            ),
            "ar": (
                "تم الحفظ في مذكراتك",
                "شكرًا لك. تم حفظ هذا في مذكراتك، وسيطّلع عليه فريق الرعاية عند مراجعته التالية.\n\n"
                "إذا ساءت الحالة أو ظهر شيء جديد، فأبلغ عنه مرة أخرى فورًا.",
            ),
        },
    ),
    DemoText(
        "ADV_HYDRATE_REST",
        ADVICE,
        True,
        {
            "en": (
                "Rest and drink fluids",
                "Rest and drink plenty of fluids, unless your care team has told you to limit how much you "
                "drink.\n\nMild headache, tiredness and aches after an infusion usually settle within three days.",
            ),
            "es": (
                "Descanse y beba líquidos",
                "Descanse y beba abundantes líquidos, salvo que su equipo de atención le haya indicado limitar lo "
                "que bebe.\n\nEl dolor de cabeza leve, el cansancio y los dolores tras una infusión suelen "
                "desaparecer en tres días.",
            ),
            "fr": (
                "Reposez-vous et buvez",
                "Reposez-vous et buvez beaucoup, sauf si votre équipe soignante vous a demandé de limiter ce que "
                "vous buvez.\n\nUn mal de tête léger, la fatigue et les courbatures après une perfusion "
                "disparaissent en général en trois jours.",
            ),
            "ar": (
                "استرح واشرب السوائل",
                "استرح واشرب كمية وافرة من السوائل، إلا إذا طلب منك فريق الرعاية الحدّ من كمية ما تشربه.\n\n"
                "عادةً ما يزول الصداع الخفيف والتعب والآلام بعد التسريب خلال ثلاثة أيام.",
            ),
        },
    ),
    DemoText(
        "ADV_PRN_PER_PLAN",
        ADVICE,
        True,
        {
            "en": (
                "Take the medicine in your plan",
                "Take the medicine your care team prescribed for this, exactly as written in your plan.\n\n"
                "Do not take anything else for it without asking your care team first.",
            ),
            "es": (
                "Tome el medicamento de su plan",
                "Tome el medicamento que su equipo de atención le recetó para esto, exactamente como indica su "
                "plan.\n\nNo tome nada más para ello sin consultar antes a su equipo de atención.",
            ),
            "fr": (
                "Prenez le médicament prévu dans votre plan",
                "Prenez le médicament que votre équipe soignante a prescrit pour cela, exactement comme indiqué "
                "dans votre plan.\n\nNe prenez rien d'autre sans demander d'abord à votre équipe soignante.",
            ),
            "ar": (
                "تناول الدواء المذكور في خطتك",
                "تناول الدواء الذي وصفه لك فريق الرعاية لهذه الحالة، تمامًا كما هو مكتوب في خطتك.\n\n"
                "لا تتناول أي دواء آخر لها قبل أن تسأل فريق الرعاية.",
            ),
        },
    ),
    DemoText(
        "ADV_TELL_NURSE_NOW",
        ADVICE,
        True,
        {
            "en": (
                "Tell your nurse now",
                "Tell your nurse about this straight away. Your nurse will check you and decide whether to slow "
                "down or pause the infusion.\n\nDo not change the pump yourself.",
            ),
            "es": (
                "Avise ahora a su enfermero o enfermera",
                "Dígaselo de inmediato. Le valorará y decidirá si hay que reducir la velocidad o pausar la "
                "infusión.\n\nNo modifique la bomba por su cuenta.",
            ),
            "fr": (
                "Prévenez votre infirmière ou infirmier maintenant",
                "Signalez-le immédiatement. L'infirmière ou l'infirmier vous examinera et décidera s'il faut "
                "ralentir ou interrompre la perfusion.\n\nNe modifiez pas la pompe vous-même.",
            ),
            "ar": (
                "أخبر الممرض أو الممرضة الآن",
                "أخبر الممرض أو الممرضة بذلك فورًا. سيفحصك ويقرر ما إذا كان يجب إبطاء التسريب أو إيقافه "
                "مؤقتًا.\n\nلا تغيّر إعدادات المضخة بنفسك.",
            ),
        },
    ),
    DemoText(
        "ADV_SLOW_PER_PLAN",
        ADVICE,
        True,
        {
            "en": (
                "Slow the drip as you were trained",
                "Turn the drip down to the previous rate step, as you were trained and as written in your plan."
                "\n\nIf you do not feel better quickly, **stop the drip** and call your care team.",
            ),
            "es": (
                "Reduzca el goteo como le enseñaron",
                "Baje el goteo al paso de velocidad anterior, como le enseñaron y como indica su plan.\n\n"
                "Si no mejora rápidamente, **detenga el goteo** y llame a su equipo de atención.",
            ),
            "fr": (
                "Ralentissez la perfusion comme on vous l'a appris",
                "Revenez au palier de débit précédent, comme on vous l'a appris et comme indiqué dans votre plan."
                "\n\nSi vous n'allez pas mieux rapidement, **arrêtez la perfusion** et appelez votre équipe "
                "soignante.",
            ),
            "ar": (
                "أبطئ التسريب كما تدرّبت",
                "اخفض سرعة التسريب إلى الخطوة السابقة، كما تدرّبت وكما هو مكتوب في خطتك.\n\n"
                "إذا لم تتحسن بسرعة، **أوقف التسريب** واتصل بفريق الرعاية.",
            ),
        },
    ),
    DemoText(
        "ADV_PAUSE_CALL_TEAM",
        ADVICE,
        True,
        {
            "en": (
                "Pause the drip and call your care team",
                "**Pause the infusion now**: stop the pump or close the clamp. If a nurse is with you, tell them."
                "\n\nThen call your care team. Do not restart until they tell you to.",
            ),
            "es": (
                "Pause el goteo y llame a su equipo",
                "**Pause la infusión ahora**: detenga la bomba o cierre la pinza. Si hay personal de enfermería "
                "con usted, avíselo.\n\nDespués llame a su equipo de atención. No la reinicie hasta que se lo "
                "indiquen.",
            ),
            "fr": (
                "Interrompez la perfusion et appelez votre équipe",
                "**Interrompez la perfusion maintenant** : arrêtez la pompe ou fermez le clamp. Si une infirmière "
                "ou un infirmier est avec vous, prévenez-le.\n\nAppelez ensuite votre équipe soignante. Ne "
                "reprenez pas la perfusion avant qu'elle vous le dise.",
            ),
            "ar": (
                "أوقف التسريب مؤقتًا واتصل بفريق الرعاية",
                "**أوقف التسريب مؤقتًا الآن**: أوقف المضخة أو أغلق المشبك. إذا كان الممرض أو الممرضة معك، "
                "فأخبره.\n\nثم اتصل بفريق الرعاية. لا تُعِد تشغيل التسريب حتى يطلبوا منك ذلك.",
            ),
        },
    ),
    DemoText(
        "ADV_CALL_TEAM_TODAY",
        ADVICE,
        True,
        {
            "en": (
                "Call your care team today",
                "Call your care team today to tell them about this.\n\nIf you feel worse before you reach them, "
                "call again straight away.",
            ),
            "es": (
                "Llame hoy a su equipo de atención",
                "Llame hoy a su equipo de atención para contárselo.\n\nSi se encuentra peor antes de hablar con "
                "ellos, vuelva a llamar enseguida.",
            ),
            "fr": (
                "Appelez votre équipe soignante aujourd'hui",
                "Appelez votre équipe soignante aujourd'hui pour le lui signaler.\n\nSi vous allez plus mal avant "
                "de la joindre, rappelez immédiatement.",
            ),
            "ar": (
                "اتصل بفريق الرعاية اليوم",
                "اتصل بفريق الرعاية اليوم لإبلاغهم بذلك.\n\n"
                "إذا شعرت بأنك أسوأ قبل أن تتمكن من الوصول إليهم، فاتصل مرة أخرى فورًا.",
            ),
        },
    ),
    DemoText(
        "ADV_CALL_TEAM_NOW",
        ADVICE,
        True,
        {
            "en": (
                "Call your care team now",
                "Call your care team now. Do not wait until tomorrow.\n\nIf you cannot reach them, or if you get "
                "worse, call the emergency number.",
            ),
            "es": (
                "Llame ahora a su equipo de atención",
                "Llame ahora a su equipo de atención. No espere a mañana.\n\nSi no consigue hablar con ellos o "
                "empeora, llame al número de emergencias.",
            ),
            "fr": (
                "Appelez votre équipe soignante maintenant",
                "Appelez votre équipe soignante maintenant. N'attendez pas demain.\n\nSi vous ne parvenez pas à la "
                "joindre ou si votre état s'aggrave, appelez le numéro d'urgence.",
            ),
            "ar": (
                "اتصل بفريق الرعاية الآن",
                "اتصل بفريق الرعاية الآن. لا تنتظر حتى الغد.\n\n"
                "إذا لم تتمكن من الوصول إليهم أو ساءت حالتك، فاتصل برقم الطوارئ.",
            ),
        },
    ),
    DemoText(
        "ADV_STOP_CALL_EMERGENCY",
        ADVICE,
        True,
        {
            "en": (
                "Stop the drip and call the emergency number",
                "**Stop the infusion now**: close the clamp or stop the pump. If a nurse is with you, tell them at "
                "once.\n\n**Call the emergency number now.**\n\nSit or lie down and do not restart the infusion.",
            ),
            "es": (
                "Detenga el goteo y llame a emergencias",
                "**Detenga la infusión ahora**: cierre la pinza o pare la bomba. Si hay personal de enfermería con "
                "usted, avíselo de inmediato.\n\n**Llame ahora al número de emergencias.**\n\nSiéntese o túmbese "
                "y no reinicie la infusión.",
            ),
            "fr": (
                "Arrêtez la perfusion et appelez le numéro d'urgence",
                "**Arrêtez la perfusion maintenant** : fermez le clamp ou arrêtez la pompe. Si une infirmière ou un "
                "infirmier est avec vous, prévenez-le tout de suite.\n\n**Appelez le numéro d'urgence "
                "maintenant.**\n\nAsseyez-vous ou allongez-vous et ne reprenez pas la perfusion.",
            ),
            "ar": (
                "أوقف التسريب واتصل برقم الطوارئ",
                "**أوقف التسريب الآن**: أغلق المشبك أو أوقف المضخة. إذا كان الممرض أو الممرضة معك، فأخبره "
                "فورًا.\n\n**اتصل برقم الطوارئ الآن.**\n\nاجلس أو استلقِ، ولا تُعِد تشغيل التسريب.",
            ),
        },
    ),
    DemoText(
        "ADV_EPI_CALL_EMERGENCY",
        ADVICE,
        True,
        {
            "en": (
                "Use your adrenaline auto-injector",
                "If you have been prescribed an adrenaline auto-injector, use it now, as you were shown.\n\n"
                "Then call the emergency number, even if you start to feel better.",
            ),
            "es": (
                "Use su autoinyector de adrenalina",
                "Si le han recetado un autoinyector de adrenalina, úselo ahora, como le enseñaron.\n\n"
                "Después llame al número de emergencias, aunque empiece a encontrarse mejor.",
            ),
            "fr": (
                "Utilisez votre stylo d'adrénaline",
                "Si un stylo auto-injecteur d'adrénaline vous a été prescrit, utilisez-le maintenant, comme on vous "
                "l'a montré.\n\nAppelez ensuite le numéro d'urgence, même si vous commencez à aller mieux.",
            ),
            "ar": (
                "استخدم حاقن الأدرينالين الذاتي",
                "إذا وُصف لك حاقن أدرينالين ذاتي، فاستخدمه الآن كما تعلّمت.\n\n"
                "ثم اتصل برقم الطوارئ، حتى لو بدأت تشعر بتحسن.",
            ),
        },
    ),
    DemoText(
        "ADV_CALL_EMERGENCY_NOW",
        ADVICE,
        True,
        {
            "en": (
                "Call the emergency number now",
                "**Call the emergency number now.** Do not wait to see if it gets better.\n\nIf an infusion is "
                "running, stop it. Tell the emergency team that you are having immunoglobulin (IVIG) treatment.",
            ),
            "es": (
                "Llame ahora al número de emergencias",
                "**Llame ahora al número de emergencias.** No espere a ver si mejora.\n\nSi hay una infusión en "
                "curso, deténgala. Diga al equipo de emergencias que recibe tratamiento con inmunoglobulina (IGIV).",
            ),
            "fr": (
                "Appelez le numéro d'urgence maintenant",
                "**Appelez le numéro d'urgence maintenant.** N'attendez pas de voir si cela s'améliore.\n\nSi une "
                "perfusion est en cours, arrêtez-la. Dites à l'équipe d'urgence que vous recevez un traitement par "
                "immunoglobulines (IgIV).",
            ),
            "ar": (
                "اتصل برقم الطوارئ الآن",
                "**اتصل برقم الطوارئ الآن.** لا تنتظر لترى إن كانت الحالة ستتحسن.\n\nإذا كان هناك تسريب جارٍ، "
                "فأوقفه. أخبر فريق الطوارئ أنك تتلقى علاجًا بالغلوبولين المناعي الوريدي (IVIG).",
            ),
        },
    ),
    DemoText(
        "ADV_DELAY_INFUSION_CALL_TEAM",
        ADVICE,
        True,
        {
            "en": (
                "Do not start your infusion yet",
                "Do not start your infusion. Call your care team first.\n\nA fever or an infection can mean the "
                "infusion should wait until you are better.",
            ),
            "es": (
                "No empiece todavía la infusión",
                "No empiece la infusión. Llame antes a su equipo de atención.\n\nSi tiene fiebre o una infección, "
                "puede que sea mejor esperar a que se recupere.",
            ),
            "fr": (
                "Ne commencez pas encore la perfusion",
                "Ne commencez pas la perfusion. Appelez d'abord votre équipe soignante.\n\nEn cas de fièvre ou "
                "d'infection, il peut être préférable d'attendre que vous alliez mieux.",
            ),
            "ar": (
                "لا تبدأ التسريب بعد",
                "لا تبدأ التسريب. اتصل بفريق الرعاية أولًا.\n\nقد تعني الحمى أو العدوى أنه يجب تأجيل التسريب حتى تتحسن.",
            ),
        },
    ),
    DemoText(
        "ADV_RECHECK_30MIN",
        ADVICE,
        True,
        {
            "en": (
                "We will check again in 30 minutes",
                "The app will ask how you feel again in 30 minutes.\n\nIf it gets worse before then, report it "
                "straight away.",
            ),
            "es": (
                "Volveremos a preguntar en 30 minutos",
                "La aplicación le preguntará de nuevo cómo se encuentra dentro de 30 minutos.\n\n"
                "Si empeora antes, comuníquelo enseguida.",
            ),
            "fr": (
                "Nous vous reposerons la question dans 30 minutes",
                "L'application vous demandera de nouveau comment vous allez dans 30 minutes.\n\n"
                "Si cela s'aggrave d'ici là, signalez-le immédiatement.",
            ),
            "ar": (
                "سنسألك مرة أخرى بعد 30 دقيقة",
                "سيسألك التطبيق عن حالتك مرة أخرى بعد 30 دقيقة.\n\nإذا ساءت حالتك قبل ذلك، فأبلغ عنها فورًا.",
            ),
        },
    ),
    DemoText(
        "ADV_RECHECK_2H",
        ADVICE,
        True,
        {
            "en": (
                "We will check again in 2 hours",
                "The app will ask how you feel again in 2 hours.\n\nIf it gets worse before then, report it "
                "straight away.",
            ),
            "es": (
                "Volveremos a preguntar en 2 horas",
                "La aplicación le preguntará de nuevo cómo se encuentra dentro de 2 horas.\n\n"
                "Si empeora antes, comuníquelo enseguida.",
            ),
            "fr": (
                "Nous vous reposerons la question dans 2 heures",
                "L'application vous demandera de nouveau comment vous allez dans 2 heures.\n\n"
                "Si cela s'aggrave d'ici là, signalez-le immédiatement.",
            ),
            "ar": (
                "سنسألك مرة أخرى بعد ساعتين",
                "سيسألك التطبيق عن حالتك مرة أخرى بعد ساعتين.\n\nإذا ساءت حالتك قبل ذلك، فأبلغ عنها فورًا.",
            ),
        },
    ),
    # Instructions and guidance.
    DemoText(
        "hydration",
        ContentKind.HYDRATION,
        False,
        {
            "en": (
                "Drinking fluids around your infusion",
                "Drinking enough fluid helps protect your kidneys and makes some side effects less likely.\n\n"
                "- Drink well the day before, the morning of and the day after your infusion.\n"
                "- Drink the amount your care team advised.\n"
                "- If you have been told to limit fluids, for example because of your heart or kidneys, follow "
                "that advice instead.",
            ),
            "es": (
                "Beber líquidos antes y después de la infusión",
                "Beber suficiente líquido ayuda a proteger los riñones y hace menos probables algunos efectos "
                "secundarios.\n\n"
                "- Beba bien el día anterior, la mañana de la infusión y el día siguiente.\n"
                "- Beba la cantidad que le indicó su equipo de atención.\n"
                "- Si le han indicado limitar los líquidos, por ejemplo por el corazón o los riñones, siga esa "
                "indicación.",
            ),
            "fr": (
                "Bien boire autour de la perfusion",
                "Boire suffisamment aide à protéger vos reins et rend certains effets indésirables moins "
                "probables.\n\n"
                "- Buvez bien la veille, le matin et le lendemain de la perfusion.\n"
                "- Buvez la quantité conseillée par votre équipe soignante.\n"
                "- Si l'on vous a demandé de limiter les boissons, par exemple à cause de votre cœur ou de vos "
                "reins, suivez plutôt ce conseil.",
            ),
            "ar": (
                "شرب السوائل قبل التسريب وبعده",
                "شرب كمية كافية من السوائل يساعد على حماية كليتيك ويقلل احتمال بعض الآثار الجانبية.\n\n"
                "- اشرب جيدًا في اليوم السابق للتسريب وصباح يومه واليوم التالي له.\n"
                "- اشرب الكمية التي نصحك بها فريق الرعاية.\n"
                "- إذا طُلب منك الحدّ من السوائل، مثلًا بسبب القلب أو الكلى، فاتبع تلك النصيحة.",
            ),
        },
    ),
    DemoText(
        "premedication",
        ContentKind.PREMEDICATION,
        False,
        {
            "en": (
                "Taking your premedication",
                "If your plan includes medicines to take before the infusion, take them 30 to 60 minutes before "
                "it starts.\n\n"
                "- Take only the medicines and doses written in your plan.\n"
                "- Record the time you took them in the app.\n"
                "- If you forgot them, tell your care team before you start.",
            ),
            "es": (
                "Cómo tomar la premedicación",
                "Si su plan incluye medicamentos para tomar antes de la infusión, tómelos entre 30 y 60 minutos "
                "antes de empezar.\n\n"
                "- Tome solo los medicamentos y las dosis que indica su plan.\n"
                "- Anote en la aplicación la hora a la que los tomó.\n"
                "- Si se le olvidaron, avise a su equipo de atención antes de empezar.",
            ),
            "fr": (
                "Prendre votre prémédication",
                "Si votre plan prévoit des médicaments à prendre avant la perfusion, prenez-les 30 à 60 minutes "
                "avant le début.\n\n"
                "- Prenez uniquement les médicaments et les doses indiqués dans votre plan.\n"
                "- Notez dans l'application l'heure à laquelle vous les avez pris.\n"
                "- Si vous les avez oubliés, prévenez votre équipe soignante avant de commencer.",
            ),
            "ar": (
                "تناول الأدوية التمهيدية",
                "إذا كانت خطتك تتضمن أدوية تُؤخذ قبل التسريب، فتناولها قبل بدء التسريب بما يتراوح بين 30 و60 "
                "دقيقة.\n\n"
                "- تناول فقط الأدوية والجرعات المكتوبة في خطتك.\n"
                "- سجّل في التطبيق وقت تناولها.\n"
                "- إذا نسيت تناولها، فأخبر فريق الرعاية قبل أن تبدأ.",
            ),
        },
    ),
    DemoText(
        "infusion_day",
        ContentKind.INFUSION_DAY,
        False,
        {
            "en": (
                "On the day of your infusion",
                "Before you start:\n\n"
                "- Check that you feel well. If you have a fever or signs of an infection, do not start: call "
                "your care team.\n"
                "- Drink fluids as advised and take any premedication in your plan.\n"
                "- Keep your phone, the emergency number and, if prescribed, your adrenaline auto-injector close "
                "by.\n\n"
                "During the infusion, follow the rate steps in your plan. Side effects are most likely near the "
                "start and when the rate goes up, so report any symptom in the app as soon as you notice it.",
            ),
            "es": (
                "El día de la infusión",
                "Antes de empezar:\n\n"
                "- Compruebe que se encuentra bien. Si tiene fiebre o signos de infección, no empiece: llame a su "
                "equipo de atención.\n"
                "- Beba líquidos según le indicaron y tome la premedicación de su plan, si la hay.\n"
                "- Tenga cerca el teléfono, el número de emergencias y, si se lo han recetado, su autoinyector de "
                "adrenalina.\n\n"
                "Durante la infusión, siga los pasos de velocidad de su plan. Los efectos secundarios son más "
                "probables al principio y cuando sube la velocidad: comunique cualquier síntoma en la aplicación "
                "en cuanto lo note.",
            ),
            "fr": (
                "Le jour de votre perfusion",
                "Avant de commencer :\n\n"
                "- Vérifiez que vous vous sentez bien. En cas de fièvre ou de signes d'infection, ne commencez "
                "pas : appelez votre équipe soignante.\n"
                "- Buvez comme conseillé et prenez la prémédication prévue dans votre plan, le cas échéant.\n"
                "- Gardez à portée de main votre téléphone, le numéro d'urgence et, s'il vous a été prescrit, "
                "votre stylo d'adrénaline.\n\n"
                "Pendant la perfusion, suivez les paliers de débit de votre plan. Les effets indésirables sont "
                "plus probables au début et quand le débit augmente : signalez tout symptôme dans l'application "
                "dès que vous le remarquez.",
            ),
            "ar": (
                "في يوم التسريب",
                "قبل أن تبدأ:\n\n"
                "- تأكد من أنك تشعر بأنك بخير. إذا كانت لديك حمى أو علامات عدوى، فلا تبدأ واتصل بفريق الرعاية.\n"
                "- اشرب السوائل كما نُصحت، وتناول الأدوية التمهيدية المذكورة في خطتك إن وُجدت.\n"
                "- أبقِ هاتفك ورقم الطوارئ قريبين منك، وكذلك حاقن الأدرينالين الذاتي إذا وُصف لك.\n\n"
                "أثناء التسريب، اتبع خطوات السرعة المذكورة في خطتك. الآثار الجانبية أكثر احتمالًا في البداية "
                "وعند زيادة السرعة، لذا أبلغ عن أي عَرَض في التطبيق فور ملاحظته.",
            ),
        },
    ),
    DemoText(
        "reaction_back_pain",
        ContentKind.REACTION,
        False,
        {
            "en": (
                "Back pain during an infusion",
                "Back pain can happen during an IVIG infusion, often together with headache, chills or flushing. "
                "It is a known side effect of the infusion.\n\n"
                "- If a nurse is with you, tell them. If you infuse yourself, slow the drip as you were trained, "
                "or pause it.\n"
                "- Drink fluids, unless you have been told to limit them.\n"
                "- Take the pain relief in your plan, if you have one.\n\n"
                "**Call your care team now** if the pain is severe, if your urine is dark or you pass much less "
                "than usual, or if you have new or worsening weakness or numbness. Call the emergency number if "
                "you also have chest pain or trouble breathing.\n\n"
                "Tell your care team afterwards: a slower rate, a lower concentration, more fluids or "
                "premedication can help prevent it next time.",
            ),
            "es": (
                "Dolor de espalda durante la infusión",
                "El dolor de espalda puede aparecer durante una infusión de IGIV, a menudo junto con dolor de "
                "cabeza, escalofríos o enrojecimiento. Es un efecto secundario conocido de la infusión.\n\n"
                "- Si hay personal de enfermería con usted, avíselo. Si se administra usted mismo la infusión, "
                "reduzca el goteo como le enseñaron o páusela.\n"
                "- Beba líquidos, salvo que le hayan indicado limitarlos.\n"
                "- Tome el analgésico de su plan, si lo tiene.\n\n"
                "**Llame ahora a su equipo de atención** si el dolor es intenso, si la orina es oscura u orina "
                "mucho menos de lo habitual, o si nota debilidad o entumecimiento nuevos o que empeoran. Llame al "
                "número de emergencias si además tiene dolor en el pecho o dificultad para respirar.\n\n"
                "Después, cuénteselo a su equipo: una velocidad más lenta, una concentración menor, más líquidos "
                "o premedicación pueden ayudar a evitarlo la próxima vez.",
            ),
            "fr": (
                "Mal de dos pendant une perfusion",
                "Un mal de dos peut survenir pendant une perfusion d'IgIV, souvent avec un mal de tête, des "
                "frissons ou des bouffées de chaleur. C'est un effet indésirable connu de la perfusion.\n\n"
                "- Si une infirmière ou un infirmier est avec vous, prévenez-le. Si vous vous perfusez vous-même, "
                "ralentissez la perfusion comme on vous l'a appris, ou interrompez-la.\n"
                "- Buvez, sauf si l'on vous a demandé de limiter les boissons.\n"
                "- Prenez l'antidouleur prévu dans votre plan, s'il y en a un.\n\n"
                "**Appelez votre équipe soignante maintenant** si la douleur est forte, si vos urines sont "
                "foncées ou beaucoup moins abondantes que d'habitude, ou en cas de faiblesse ou d'engourdissement "
                "nouveaux ou qui s'aggravent. Appelez le numéro d'urgence si vous avez aussi une douleur dans la "
                "poitrine ou du mal à respirer.\n\n"
                "Parlez-en ensuite à votre équipe soignante : un débit plus lent, une concentration plus faible, "
                "davantage de boissons ou une prémédication peuvent aider à l'éviter la prochaine fois.",
            ),
            "ar": (
                "ألم الظهر أثناء التسريب",
                "قد يحدث ألم في الظهر أثناء تسريب الغلوبولين المناعي الوريدي، وغالبًا ما يرافقه صداع أو قشعريرة "
                "أو احمرار في الوجه. وهو أثر جانبي معروف للتسريب.\n\n"
                "- إذا كان الممرض أو الممرضة معك، فأخبره. وإذا كنت تُجري التسريب بنفسك، فأبطئ التسريب كما "
                "تدرّبت أو أوقفه مؤقتًا.\n"
                "- اشرب السوائل، إلا إذا طُلب منك الحدّ منها.\n"
                "- تناول مسكّن الألم المذكور في خطتك إن وُجد.\n\n"
                "**اتصل بفريق الرعاية الآن** إذا كان الألم شديدًا، أو إذا كان لون البول داكنًا أو كانت كميته "
                "أقل بكثير من المعتاد، أو إذا ظهر ضعف أو خدر جديد أو يزداد سوءًا. اتصل برقم الطوارئ إذا كان "
                "لديك أيضًا ألم في الصدر أو صعوبة في التنفس.\n\n"
                "أخبر فريق الرعاية بعد ذلك: فقد يساعد إبطاء السرعة أو استخدام تركيز أقل أو شرب مزيد من السوائل "
                "أو الأدوية التمهيدية على تجنّبه في المرة القادمة.",
            ),
        },
    ),
    DemoText(
        "delayed_reactions",
        ContentKind.RED_FLAG,
        True,
        {
            "en": (
                "After your infusion: the next days",
                "Mild headache, tiredness, aches or a slight fever can happen in the first days and usually "
                "settle within three days. Rest and drink fluids.\n\n"
                "Some reactions appear later. **Call your care team now** if you notice:\n\n"
                "- a severe headache with a stiff neck, dislike of light, fever or vomiting (up to about a week "
                "after)\n"
                "- pain, swelling, warmth or redness in one arm or leg\n"
                "- passing much less urine than usual, sudden weight gain or swollen ankles\n"
                "- dark, red or brown urine, or yellow skin or eyes (up to about ten days after)\n"
                "- weakness or numbness that is getting worse\n\n"
                "If you are also confused or very drowsy, or have a seizure, chest pain or trouble breathing, "
                "call the emergency number.",
            ),
            "es": (
                "Después de la infusión: los días siguientes",
                "En los primeros días puede tener dolor de cabeza leve, cansancio, dolores o algo de fiebre, que "
                "suelen desaparecer en tres días. Descanse y beba líquidos.\n\n"
                "Algunas reacciones aparecen más tarde. **Llame ahora a su equipo de atención** si nota:\n\n"
                "- dolor de cabeza intenso con rigidez de cuello, molestia con la luz, fiebre o vómitos (hasta una "
                "semana después, aproximadamente)\n"
                "- dolor, hinchazón, calor o enrojecimiento en un brazo o una pierna\n"
                "- mucha menos orina de lo habitual, aumento de peso repentino o tobillos hinchados\n"
                "- orina oscura, roja o marrón, o piel u ojos amarillos (hasta unos diez días después)\n"
                "- debilidad o entumecimiento que empeora\n\n"
                "Si además está confuso o muy somnoliento, o tiene una convulsión, dolor en el pecho o dificultad "
                "para respirar, llame al número de emergencias.",
            ),
            "fr": (
                "Après la perfusion : les jours suivants",
                "Un léger mal de tête, de la fatigue, des courbatures ou une petite fièvre peuvent survenir les "
                "premiers jours et disparaissent en général en trois jours. Reposez-vous et buvez.\n\n"
                "Certaines réactions apparaissent plus tard. **Appelez votre équipe soignante maintenant** si "
                "vous remarquez :\n\n"
                "- un mal de tête intense avec une raideur de la nuque, une gêne à la lumière, de la fièvre ou des "
                "vomissements (jusqu'à environ une semaine après)\n"
                "- une douleur, un gonflement, une chaleur ou une rougeur d'un bras ou d'une jambe\n"
                "- des urines beaucoup moins abondantes que d'habitude, une prise de poids soudaine ou des "
                "chevilles gonflées\n"
                "- des urines foncées, rouges ou brunes, ou un jaunissement de la peau ou des yeux (jusqu'à "
                "environ dix jours après)\n"
                "- une faiblesse ou un engourdissement qui s'aggrave\n\n"
                "Si vous êtes aussi confus ou très somnolent, ou en cas de convulsions, de douleur dans la "
                "poitrine ou de difficulté à respirer, appelez le numéro d'urgence.",
            ),
            "ar": (
                "بعد التسريب: الأيام التالية",
                "قد يحدث صداع خفيف أو تعب أو آلام أو حمى بسيطة في الأيام الأولى، وعادةً ما تزول خلال ثلاثة "
                "أيام. استرح واشرب السوائل.\n\n"
                "بعض التفاعلات تظهر لاحقًا. **اتصل بفريق الرعاية الآن** إذا لاحظت:\n\n"
                "- صداعًا شديدًا مع تيبّس الرقبة أو انزعاج من الضوء أو حمى أو قيء (حتى أسبوع تقريبًا بعد "
                "التسريب)\n"
                "- ألمًا أو تورمًا أو سخونة أو احمرارًا في ذراع واحدة أو ساق واحدة\n"
                "- تبوّلًا أقل بكثير من المعتاد، أو زيادة مفاجئة في الوزن، أو تورم الكاحلين\n"
                "- بولًا داكنًا أو أحمر أو بنيًا، أو اصفرار الجلد أو العينين (حتى عشرة أيام تقريبًا بعد "
                "التسريب)\n"
                "- ضعفًا أو خدرًا يزداد سوءًا\n\n"
                "إذا كنت أيضًا مشوّش الذهن أو شديد النعاس، أو أصابتك نوبة تشنج أو ألم في الصدر أو صعوبة في "
                "التنفس، فاتصل برقم الطوارئ.",
            ),
        },
    ),
    DemoText(
        "red_flags_emergency",
        ContentKind.RED_FLAG,
        True,
        {
            "en": (
                "Emergency: stop the infusion and call for help",
                "**Stop the infusion and call the emergency number now** if you have any of these:\n\n"
                "- swelling of the lips, tongue or throat, a hoarse voice or trouble swallowing\n"
                "- wheezing or trouble breathing\n"
                "- fainting, or feeling about to faint\n"
                "- hives or flushing all over together with breathing trouble, dizziness or repeated vomiting\n"
                "- chest pain or pressure, pain when breathing in deeply, or sudden breathlessness\n"
                "- weakness or numbness on one side, a drooping face, slurred speech or sudden confusion\n\n"
                "If you have an adrenaline auto-injector, use it as you were shown, then call the emergency "
                "number. If a nurse is with you, tell them at once.",
            ),
            "es": (
                "Emergencia: detenga la infusión y pida ayuda",
                "**Detenga la infusión y llame ahora al número de emergencias** si tiene cualquiera de estos "
                "signos:\n\n"
                "- hinchazón de labios, lengua o garganta, voz ronca o dificultad para tragar\n"
                "- pitidos al respirar o dificultad para respirar\n"
                "- desmayo o sensación de que va a desmayarse\n"
                "- ronchas o enrojecimiento por todo el cuerpo junto con dificultad para respirar, mareo o vómitos "
                "repetidos\n"
                "- dolor u opresión en el pecho, dolor al respirar hondo o falta de aire repentina\n"
                "- debilidad o entumecimiento de un lado del cuerpo, cara caída, habla arrastrada o confusión "
                "repentina\n\n"
                "Si tiene un autoinyector de adrenalina, úselo como le enseñaron y después llame al número de "
                "emergencias. Si hay personal de enfermería con usted, avíselo de inmediato.",
            ),
            "fr": (
                "Urgence : arrêtez la perfusion et appelez les secours",
                "**Arrêtez la perfusion et appelez le numéro d'urgence maintenant** si vous avez l'un de ces "
                "signes :\n\n"
                "- gonflement des lèvres, de la langue ou de la gorge, voix enrouée ou difficulté à avaler\n"
                "- sifflement en respirant ou difficulté à respirer\n"
                "- évanouissement, ou sensation d'être sur le point de vous évanouir\n"
                "- urticaire ou rougeur sur tout le corps avec difficulté à respirer, vertiges ou vomissements "
                "répétés\n"
                "- douleur ou oppression dans la poitrine, douleur en inspirant profondément ou essoufflement "
                "soudain\n"
                "- faiblesse ou engourdissement d'un côté du corps, visage qui s'affaisse, difficulté à parler ou "
                "confusion soudaine\n\n"
                "Si vous avez un stylo auto-injecteur d'adrénaline, utilisez-le comme on vous l'a montré, puis "
                "appelez le numéro d'urgence. Si une infirmière ou un infirmier est avec vous, prévenez-le tout de "
                "suite.",
            ),
            "ar": (
                "طوارئ: أوقف التسريب واطلب المساعدة",
                "**أوقف التسريب واتصل برقم الطوارئ الآن** إذا ظهرت لديك أي من هذه العلامات:\n\n"
                "- تورم الشفتين أو اللسان أو الحلق، أو بحة في الصوت، أو صعوبة في البلع\n"
                "- أزيز في الصدر أو صعوبة في التنفس\n"
                "- إغماء، أو الشعور بأنك على وشك الإغماء\n"
                "- شرى (طفح مع حكة) أو احمرار في الجسم كله مع صعوبة في التنفس أو دوخة أو قيء متكرر\n"
                "- ألم أو ضغط في الصدر، أو ألم عند أخذ نفس عميق، أو ضيق تنفس مفاجئ\n"
                "- ضعف أو خدر في جانب واحد من الجسم، أو تدلّي الوجه، أو تلعثم في الكلام، أو تشوّش مفاجئ\n\n"
                "إذا كان لديك حاقن أدرينالين ذاتي، فاستخدمه كما تعلّمت، ثم اتصل برقم الطوارئ. إذا كان الممرض "
                "أو الممرضة معك، فأخبره فورًا.",
            ),
        },
    ),
    DemoText(
        "education_what_ivig_is",
        ContentKind.EDUCATION,
        False,
        {
            "en": (
                "What IVIG is, and what it is not for",
                "IVIG (intravenous immunoglobulin) is made from antibodies collected from many healthy blood "
                "donors. It is given through a drip into a vein.\n\n"
                "It is used for some immune deficiencies and for some immune conditions that affect the nerves "
                "and muscles, such as CIDP, Guillain-Barré syndrome and myasthenia gravis.\n\n"
                "**IVIG is not a treatment for back pain.** There is no evidence that it helps back pain, and it "
                "has real risks. Back pain is treated in other ways, such as physiotherapy and pain relief: ask "
                "your doctor.\n\n"
                "Most side effects of IVIG are mild, such as headache, flushing, chills, tiredness or nausea. "
                "Serious ones, such as kidney problems, blood clots and severe allergic reactions, are rare: this "
                "app tells you what to do if you notice their signs.",
            ),
            "es": (
                "Qué es la IGIV y para qué no sirve",
                "La IGIV (inmunoglobulina intravenosa) se fabrica con anticuerpos obtenidos de muchos donantes de "
                "sangre sanos. Se administra mediante un goteo en una vena.\n\n"
                "Se utiliza en algunas inmunodeficiencias y en algunas enfermedades del sistema inmunitario que "
                "afectan a los nervios y los músculos, como la PDIC, el síndrome de Guillain-Barré y la miastenia "
                "gravis.\n\n"
                "**La IGIV no es un tratamiento para el dolor de espalda.** No hay pruebas de que lo alivie y "
                "tiene riesgos reales. El dolor de espalda se trata de otras formas, como la fisioterapia y los "
                "analgésicos: consulte a su médico.\n\n"
                "La mayoría de los efectos secundarios de la IGIV son leves, como dolor de cabeza, "
                "enrojecimiento, escalofríos, cansancio o náuseas. Los graves, como problemas de riñón, coágulos "
                "de sangre o reacciones alérgicas intensas, son raros: esta aplicación le indica qué hacer si nota "
                "sus signos.",
            ),
            "fr": (
                "Ce que sont les IgIV, et ce qu'elles ne soignent pas",
                "Les IgIV (immunoglobulines intraveineuses) sont fabriquées à partir d'anticorps recueillis auprès "
                "de nombreux donneurs de sang en bonne santé. Elles sont administrées par perfusion dans une "
                "veine.\n\n"
                "Elles sont utilisées dans certains déficits immunitaires et dans certaines maladies du système "
                "immunitaire qui touchent les nerfs et les muscles, comme la PIDC, le syndrome de Guillain-Barré "
                "et la myasthénie.\n\n"
                "**Les IgIV ne sont pas un traitement du mal de dos.** Rien ne montre qu'elles le soulagent, et "
                "elles comportent de vrais risques. Le mal de dos se traite autrement, par exemple par la "
                "kinésithérapie et les antidouleurs : parlez-en à votre médecin.\n\n"
                "La plupart des effets indésirables des IgIV sont légers : mal de tête, bouffées de chaleur, "
                "frissons, fatigue ou nausées. Les effets graves, comme des problèmes rénaux, des caillots "
                "sanguins ou des réactions allergiques sévères, sont rares : cette application vous indique quoi "
                "faire si vous en remarquez les signes.",
            ),
            "ar": (
                "ما هو الغلوبولين المناعي الوريدي، وما الذي لا يُستخدم له",
                "الغلوبولين المناعي الوريدي (IVIG) دواء يُصنع من أجسام مضادة تُجمع من عدد كبير من المتبرعين "
                "الأصحاء بالدم، ويُعطى بالتسريب في الوريد.\n\n"
                "يُستخدم لبعض حالات نقص المناعة ولبعض الأمراض المناعية التي تصيب الأعصاب والعضلات، مثل اعتلال "
                "الأعصاب المزيل للميالين الالتهابي المزمن (CIDP) ومتلازمة غيلان باريه والوهن العضلي الوبيل.\n\n"
                "**الغلوبولين المناعي الوريدي ليس علاجًا لألم الظهر.** لا يوجد دليل على أنه يخفف ألم الظهر، وله "
                "مخاطر حقيقية. يُعالج ألم الظهر بطرق أخرى مثل العلاج الطبيعي ومسكنات الألم، فاسأل طبيبك.\n\n"
                "معظم الآثار الجانبية للغلوبولين المناعي الوريدي خفيفة، مثل الصداع أو احمرار الوجه أو القشعريرة "
                "أو التعب أو الغثيان. أما الآثار الخطيرة، مثل مشكلات الكلى أو الجلطات الدموية أو التفاعلات "
                "التحسسية الشديدة، فهي نادرة، وهذا التطبيق يخبرك بما عليك فعله إذا لاحظت علاماتها.",
            ),
        },
    ),
    # Reminder texts: plain text, with the placeholders the reminder sender fills in.
    DemoText(
        "reminder_hydration",
        ContentKind.REMINDER,
        False,
        {
            "en": (
                "Time to drink",
                "Remember to drink fluids today for your infusion on {date}, unless you have been told to limit "
                "fluids.",
            ),
            "es": (
                "Hora de beber",
                "Recuerde beber líquidos hoy por su infusión del {date}, salvo que le hayan indicado limitarlos.",
            ),
            "fr": (
                "Pensez à boire",
                "Pensez à boire aujourd'hui pour votre perfusion du {date}, sauf si l'on vous a demandé de limiter "
                "les boissons.",
            ),
            "ar": (
                "حان وقت الشرب",
                "تذكّر أن تشرب السوائل اليوم استعدادًا للتسريب في {date}، إلا إذا طُلب منك الحدّ من السوائل.",
            ),
        },
        ContentItem.Format.TEXT,
    ),
    DemoText(
        "reminder_premedication",
        ContentKind.REMINDER,
        False,
        {
            "en": (
                "Premedication",
                "If your plan includes premedication, take it now. Your infusion is planned for {time}.",
            ),
            "es": (
                "Premedicación",
                "Si su plan incluye premedicación, tómela ahora. Su infusión está prevista para las {time}.",
            ),
            "fr": (
                "Prémédication",
                "Si votre plan prévoit une prémédication, prenez-la maintenant. Votre perfusion est prévue à {time}.",
            ),
            "ar": (
                "الأدوية التمهيدية",
                "إذا كانت خطتك تتضمن أدوية تمهيدية، فتناولها الآن. موعد التسريب المخطط له هو {time}.",
            ),
        },
        ContentItem.Format.TEXT,
    ),
    DemoText(
        "reminder_infusion_start",
        ContentKind.REMINDER,
        False,
        {
            "en": (
                "Infusion today",
                "Your infusion is planned for {time}. Check that you feel well and have everything ready before "
                "you start.",
            ),
            "es": (
                "Infusión hoy",
                "Su infusión está prevista para las {time}. Compruebe que se encuentra bien y que tiene todo "
                "preparado antes de empezar.",
            ),
            "fr": (
                "Perfusion aujourd'hui",
                "Votre perfusion est prévue à {time}. Vérifiez que vous vous sentez bien et que tout est prêt avant "
                "de commencer.",
            ),
            "ar": (
                "تسريب اليوم",
                "موعد التسريب المخطط له هو {time}. تأكد من أنك تشعر بأنك بخير وأن كل شيء جاهز قبل أن تبدأ.",
            ),
        },
        ContentItem.Format.TEXT,
    ),
    DemoText(
        "reminder_followup_check",
        ContentKind.REMINDER,
        False,
        {
            "en": (
                "How are you feeling?",
                "It is time for your {hours}-hour check after your infusion. It takes about a minute.",
            ),
            "es": (
                "¿Cómo se encuentra?",
                "Es la hora de su control de las {hours} horas después de la infusión. Se tarda alrededor de un "
                "minuto.",
            ),
            "fr": (
                "Comment allez-vous ?",
                "C'est l'heure de votre point de suivi {hours} heures après la perfusion. Cela prend environ une "
                "minute.",
            ),
            "ar": ("كيف تشعر؟", "حان وقت المتابعة بعد {hours} ساعة من التسريب. يستغرق ذلك دقيقة تقريبًا."),
        },
        ContentItem.Format.TEXT,
    ),
]


@transaction.atomic
def content_demo_seed(*, author, approver) -> list[str]:
    """Publishes the demo texts that do not exist yet; returns the keys it created."""
    created = []
    existing = set(ContentItem.objects.filter(key__in=[d.key for d in DEMO_TEXTS]).values_list("key", flat=True))
    for demo in DEMO_TEXTS:
        if demo.key in existing:
            continue
        item = services.content_item_create(
            actor=author, key=demo.key, kind=demo.kind, essential=demo.essential, text_format=demo.text_format
        )
        title, body = demo.texts["en"]
        version = services.content_version_draft(actor=author, item=item, title=title, body=body, note=DEMO_NOTE)
        services.content_version_submit(actor=author, version=version)
        services.content_version_approve(actor=approver, version=version)
        services.content_version_publish(actor=author, version=version)
        for language, (title, body) in demo.texts.items():
            if language == "en":
                continue
            translation = services.translation_save(
                actor=author, version=version, language=language, title=title, body=body, needs_clinical_review=True
            )
            services.translation_review(actor=approver, translation=translation, clinical_check=False)
        created.append(demo.key)
    return created
