"""``.waitForTaskToken`` for any integration: send the request, then wait for the task token.

``CallbackWait`` wraps the integration that serves a resource's request-response form (``lambda:
invoke``, ``sqs:sendMessage``, ``states:startExecution``, a plug-in...). For one attempt it:

1. opens the attempt's token (``$$.Task.Token``, issued by the Task state) in the ``TokenTable``,
   so an answer that arrives while the request is still in flight is not lost;
2. calls the wrapped integration (its parameters carry the token to the worker);
3. records ``TaskSubmitted`` with the call's result;
4. waits for SendTaskSuccess (the output is the task result) or SendTaskFailure (the task fails
   with the worker's error and cause); SendTaskHeartbeat restarts the HeartbeatSeconds clock.

The Task state's deadlines (TimeoutSeconds/HeartbeatSeconds) wrap the whole call, so a token that
never comes back ends in ``States.Timeout``. Whatever ends the attempt (answer, failure, timeout,
retry, stop) closes the token: later answers get ``TaskTimedOut``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfnlocal.engine.tokens import TokenTable
from sfnlocal.states.children import own_task

if TYPE_CHECKING:
    from sfnlocal.integrations.base import Integration, TaskRequest

__all__ = ["CallbackWait"]


class CallbackWait:
    """The ``.waitForTaskToken`` form of an integration.

    Args:
        inner: the integration that sends the request (its request-response form).
        table: the engine's token table.
    """

    __slots__ = ("inner", "table")

    def __init__(self, inner: Integration, table: TokenTable) -> None:
        self.inner = inner
        self.table = table

    def prepare(self, parameters: Any) -> Any:
        """The wrapped integration's parameter filtering, if it has any."""
        prepare = getattr(self.inner, "prepare", None)
        return parameters if prepare is None else prepare(parameters)

    async def invoke(self, request: TaskRequest) -> Any:
        """Send the request, record ``TaskSubmitted``, then wait for the token's outcome.

        Raises:
            StatesError: the request failed, or the worker called SendTaskFailure.
        """
        token = request.task_token
        if token is None:  # only a Task state issues tokens; without one there is nothing to wait
            return await self.inner.invoke(request)
        await own_task()
        context = request.context
        waiter = self.table.open(token, context.execution_arn, context.heartbeat)
        try:
            submitted = await self.inner.invoke(request)
            context.submitted(submitted)
            return await waiter.wait()
        finally:
            self.table.close(token)
