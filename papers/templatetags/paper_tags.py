from django import template

register = template.Library()


@register.filter
def http_url(value: str) -> str:
    """The URL if it is http(s), else nothing: sources are not trusted to give safe links."""
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) else ""
