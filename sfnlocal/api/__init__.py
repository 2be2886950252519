"""api: the HTTP server over one Engine (``sfnlocal serve``).

Modules:
    server          the aiohttp application (``create_app``) and ``Server`` (start/stop)
    serve           ``serve(options)``: run until SIGINT/SIGTERM, with the bundled example
    stepfunctions   the Step Functions actions (AWS JSON 1.0, ``X-Amz-Target``)
    tasks           task-token and activity actions (when the engine has them)
    shapes          request members (``Params``) and response JSON (datetimes as epoch seconds)
    paging          ``nextToken`` paging of the list actions
    errors          wire errors ``{"__type": ..., "message": ...}``
    ui              the web page, its JSON endpoints and ``/health``
"""
