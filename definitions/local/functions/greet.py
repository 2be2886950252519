"""The example Lambda function of definitions/local/sfnlocal.yaml."""


def handler(event, context):
    """Greet ``event["name"]`` (or the world)."""
    name = event.get("name") if isinstance(event, dict) else None
    return {"greeting": f"Hello, {name or 'World'}!"}
