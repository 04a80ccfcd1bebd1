from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ivigapp.reactions.models.diary import DiaryRow, InfusionEpisode
from ivigapp.sync.models import PULL_INDEX, SyncRow

# The reaction checklist (clinical.md 2.2 and 2.3). Red flags are yes/no and asked first.
RED_FLAGS = {
    "RF_AIRWAY": _(
        "Swelling of the lips, tongue or throat, a hoarse voice, trouble swallowing, wheezing or trouble breathing"
    ),
    "RF_HIVES_PLUS": _("Hives or flushing all over together with breathing trouble, dizziness or repeated vomiting"),
    "RF_FAINT": _("Fainting, or feeling about to faint"),
    "RF_CHEST": _("Chest pain or pressure, pain when breathing in deeply, sudden breathlessness or blue lips"),
    "RF_STROKE": _(
        "Weakness or numbness on one side, a drooping face, slurred speech, sudden confusion, sudden "
        "loss of sight or a seizure"
    ),
    "RF_MENINGISM": _("A headache with a stiff neck, dislike of light, painful eye movements, fever or vomiting"),
    "RF_LIMB": _("Pain, swelling, warmth or redness in one arm or leg"),
    "RF_URINE_LESS": _("Passing much less urine than usual, sudden weight gain or new swelling of the ankles"),
    "RF_URINE_DARK": _("Dark, brown or red urine, or yellow skin or eyes"),
    "RF_WEAKNESS": _("Weakness or numbness that is getting worse, or new trouble walking or gripping"),
}

SYMPTOMS = {
    "HEADACHE": _("Headache"),
    "FLUSHING": _("Flushing or feeling hot"),
    "CHILLS": _("Chills or shivering"),
    "FATIGUE": _("Tiredness or feeling unwell"),
    "MYALGIA": _("Muscle or body aches"),
    "BACKPAIN": _("Back pain"),
    "CHEST_TIGHT": _("Chest tightness (no pain, breathing normally)"),
    "NAUSEA": _("Feeling sick"),
    "VOMITING": _("Vomiting"),
    "DIARRHEA": _("Diarrhoea"),
    "DIZZY": _("Dizziness or light-headedness"),
    "RASH_ITCH": _("Rash or itching in one place"),
    "HIVES": _("Hives all over"),
    "PALPITATIONS": _("Fast or pounding heartbeat"),
    "BREATHLESS_ON_EFFORT": _("New breathlessness when active"),
    "SITE": _("Pain, swelling or leaking at the drip site"),
    "VERY_UNWELL": _("Feeling very unwell"),
    "INFECTION": _("Signs of an infection (cough, sore throat, burning urine)"),
}
PAIN_SYMPTOMS = {"HEADACHE", "BACKPAIN", "MYALGIA", "SITE"}
SEVERITIES = {0: _("none"), 1: _("mild"), 2: _("moderate"), 3: _("severe")}

ACTIONS = {
    "slowed": _("Slowed the drip"),
    "paused": _("Paused the drip"),
    "stopped": _("Stopped the drip"),
    "as_needed_medicine": _("Took an as-needed medicine"),
    "epinephrine": _("Used the adrenaline auto-injector"),
    "called_nurse": _("Called the nurse"),
    "called_emergency": _("Called the emergency number"),
}


class SymptomReport(DiaryRow):
    class Phase(models.TextChoices):
        PRE = "pre", _("Before the infusion")
        DURING = "during", _("During the infusion")
        POST = "post", _("After the infusion")

    episode = models.ForeignKey(
        InfusionEpisode, on_delete=models.CASCADE, related_name="reports", null=True, blank=True
    )
    red_flag_answers = models.JSONField(default=dict)
    symptoms = models.JSONField(default=dict, blank=True)
    temperature_c = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("45"))],
    )
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    onset_at = models.DateTimeField()
    phase = models.CharField(max_length=8, choices=Phase.choices)
    context = models.CharField(max_length=4)
    minutes_since_start = models.IntegerField(null=True, blank=True)
    hours_after_end = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    rate_step_at_onset = models.PositiveSmallIntegerField(null=True, blank=True)
    rate_at_onset_ml_h = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    actions_taken = models.JSONField(default=list, blank=True)
    free_text = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-onset_at"]
        indexes = [
            models.Index(fields=["patient", "-onset_at"]),
            PULL_INDEX,
        ]

    def __str__(self):
        return f"report {self.pk}"

    def red_flags(self) -> list[str]:
        return [code for code, answer in self.red_flag_answers.items() if answer is True]

    def red_flag_labels(self) -> list[str]:
        return [str(RED_FLAGS.get(code, code)) for code in self.red_flags()]

    def symptom_lines(self) -> list[str]:
        """Each symptom the patient had, in the checklist's words and order: "Headache: severe, pain
        8/10, lasting"."""
        lines = []
        for code in [*(c for c in SYMPTOMS if c in self.symptoms), *(c for c in self.symptoms if c not in SYMPTOMS)]:
            entry = self.symptoms[code]
            severity = entry.get("severity", 0)
            if not severity:
                continue
            parts = [str(SEVERITIES.get(severity, severity))]
            if entry.get("nrs") is not None:
                parts.append(_("pain %(nrs)s/10") % {"nrs": entry["nrs"]})
            if entry.get("persisting"):
                parts.append(str(_("lasting")))
            lines.append(f"{SYMPTOMS.get(code, code)}: {', '.join(parts)}")
        return lines

    def action_labels(self) -> list[str]:
        return [str(ACTIONS.get(code, code)) for code in self.actions_taken]

    def unanswered(self) -> list[str]:
        """Red-flag questions left unanswered (the report was sent from the emergency advice), in the
        order they are asked."""
        return [code for code in RED_FLAGS if code in self.red_flag_answers and self.red_flag_answers[code] is None]

    def unanswered_labels(self) -> list[str]:
        return [str(RED_FLAGS[code]) for code in self.unanswered()]

    def detail_parts(self) -> list[str]:
        """What the report says, for one line of a table: urgent signs, questions not answered,
        symptoms; each part present only when there is something to say."""
        parts = []
        if flags := self.red_flag_labels():
            parts.append("; ".join(flags))
        if unanswered := self.unanswered_labels():
            parts.append(_("Not answered: %(questions)s") % {"questions": "; ".join(unanswered)})
        if symptoms := self.symptom_lines():
            parts.append("; ".join(symptoms))
        return parts


class TriageDecision(SyncRow):
    """What the server's evaluator decided for a report, and which texts the patient was shown."""

    report = models.OneToOneField(SymptomReport, on_delete=models.CASCADE, related_name="decision")
    ruleset_version = models.PositiveIntegerField()
    rule_ids = models.JSONField()
    primary_rule_id = models.CharField(max_length=16)
    level = models.CharField(max_length=16)
    red_flag = models.BooleanField()
    advice = models.JSONField()
    content_version = models.TextField(blank=True, help_text="Advice texts shown: KEY@version[:language], ...")
    language = models.CharField(max_length=8)
    decided_at = models.DateTimeField()

    def __str__(self):
        return f"{self.primary_rule_id} {self.level}"

    def level_label(self) -> str:
        from ivigapp.reactions.models.alerts import AlertLevel

        return str(AlertLevel(self.level).label) if self.level in AlertLevel.values else self.level


class FollowUpCheck(SyncRow):
    """A check-in after the infusion ends (24/48/72 h; later ones for risk groups)."""

    class Kind(models.TextChoices):
        H24 = "h24", _("24 hours after")
        H48 = "h48", _("48 hours after")
        H72 = "h72", _("72 hours after")
        D5 = "d5", _("Day 5")
        D7 = "d7", _("Day 7")
        D10 = "d10", _("Day 10")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(InfusionEpisode, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    due_at = models.DateTimeField()
    window_ends_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(SymptomReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="one_followup_per_kind")]
        indexes = [
            PULL_INDEX,
            models.Index(
                fields=["window_ends_at"],
                condition=models.Q(completed_at__isnull=True, missed_at__isnull=True),
                name="followup_open_window_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind} check for {self.episode_id}"
