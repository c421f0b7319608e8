import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from core.addresses import canonical_email
from core.query import QueryError, parse
from newsletter.models import MAX_RULES, Subscriber, Topic
from papers.models import Paper

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime"})
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
PREFERENCES = ("frequency", "send_weekday", "send_hour", "timezone", "min_upvotes", "max_papers")


class SubscriptionForm(forms.Form):
    """What a subscriber follows and when; the signup form and the manage page share it."""

    rules = forms.CharField(
        label="Your topics",
        required=False,
        max_length=MAX_RULES * 301,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One rule per line, e.g. <code>quantization -survey</code> or "
        '<code>"speculative decoding" OR title:drafting</code>.',
    )
    topics = forms.ModelMultipleChoiceField(
        label="Curated topics",
        queryset=Topic.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    frequency = forms.ChoiceField(
        choices=Subscriber.Frequency.choices,
        initial=Subscriber.Frequency.DAILY,
        widget=forms.RadioSelect,
    )
    send_weekday = forms.TypedChoiceField(
        label="Day (weekly)", choices=Subscriber.Weekday.choices, coerce=int, initial=0
    )
    send_hour = forms.TypedChoiceField(label="Hour", choices=HOURS, coerce=int, initial=8)
    timezone = forms.ChoiceField(
        label="Time zone", choices=[(name, name) for name in TIME_ZONES], initial="UTC"
    )
    min_upvotes = forms.IntegerField(
        label="Minimum upvotes", min_value=0, max_value=100_000, initial=0, required=False
    )
    max_papers = forms.IntegerField(
        label="Papers per digest, at most", min_value=1, max_value=50, initial=10
    )

    def clean_rules(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["rules"].splitlines()]
        rules = [line for line in lines if line]
        if len(rules) > MAX_RULES:
            raise ValidationError(f"Follow at most {MAX_RULES} rules.")
        errors = []
        for number, rule in enumerate(rules, start=1):
            try:
                parse(rule)
            except QueryError as exc:
                prefix = f"Line {number}: " if len(rules) > 1 else ""
                errors.append(ValidationError(prefix + str(exc)))
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(rules))

    def clean_min_upvotes(self) -> int:
        return self.cleaned_data["min_upvotes"] or 0

    def __init__(self, *args, library_size: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.library_size = library_size  # a reader with a library may follow it alone

    def clean(self):
        cleaned = super().clean()
        no_topic = not cleaned.get("rules") and not cleaned.get("topics")
        if not self.errors and no_topic and not self.library_size:
            raise ValidationError(
                "Follow at least one topic: write a rule or pick a curated topic"
                + (", or add papers to your library below." if "email" not in self.fields else ".")
            )
        return cleaned

    def preferences(self) -> dict:
        return {name: self.cleaned_data[name] for name in PREFERENCES}


class CanonicalEmailField(forms.EmailField):
    """An address in its canonical spelling (core/addresses.py) before it is validated, so that a
    full-width, upper-case or Unicode-domain spelling is the mailbox it names."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return canonical_email(value) if value else value
        except ValueError:
            return value  # the validators say what is wrong with it


class SignupForm(SubscriptionForm):
    field_order = ["email"]

    email = CanonicalEmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    # "Email me papers like this": the paper the reader's library starts with.
    paper = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def clean_paper(self):
        pk = self.cleaned_data.get("paper")
        if pk is None:
            return None
        paper = Paper.objects.filter(pk=pk, hidden=False).first()
        if paper is None:
            raise ValidationError("This paper is not (or no longer) on Paperwire.")
        self.library_size = max(self.library_size, 1)  # it may be followed alone
        return paper

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if any(char in email for char in "\r\n\x00,;<>"):
            raise ValidationError("Enter one plain email address.")
        try:  # one spelling per mailbox, whatever the case, Unicode form or IDNA form typed
            return canonical_email(email)
        except ValueError as exc:
            raise ValidationError(f"Enter a valid email address: {exc}.") from None
