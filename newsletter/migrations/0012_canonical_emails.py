"""Stored addresses take their canonical spelling (core/addresses.py): NFKC, lower case, the domain
in IDNA form. An address whose canonical form another row already has is left as it is (two
rows for one mailbox from before; the admin shows both)."""

from django.db import migrations

from core.addresses import canonical_email


def canonicalize(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    taken = {email.lower() for email in Subscriber.objects.values_list("email", flat=True)}
    for pk, email in Subscriber.objects.values_list("pk", "email").iterator():
        try:
            canonical = canonical_email(email)
        except ValueError:
            continue
        if canonical != email and (canonical == email.lower() or canonical not in taken):
            Subscriber.objects.filter(pk=pk).update(email=canonical)
            taken.add(canonical)


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0011_cache_table")]

    operations = [migrations.RunPython(canonicalize, migrations.RunPython.noop)]
