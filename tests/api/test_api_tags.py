"""Tags through the server: TagResource, UntagResource, ListTagsForResource, tags at creation."""

from __future__ import annotations

import pytest
from api_server import PASS, ROLE, error_of

ClientError = pytest.importorskip("botocore.exceptions").ClientError
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def tags_of(sfn, arn):
    return {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}


def test_tag_list_untag_a_state_machine(sfn):
    arn = sfn.create_state_machine(name="tagged", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "team", "value": "a"}])["stateMachineArn"]
    assert tags_of(sfn, arn) == {"team": "a"}
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "b"},
                                            {"key": "env", "value": "dev"}])
    assert tags_of(sfn, arn) == {"team": "b", "env": "dev"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert tags_of(sfn, arn) == {"env": "dev"}


def test_idempotent_create_ignores_tags_and_recreate_forgets_them(sfn):
    arn = sfn.create_state_machine(name="again", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "k", "value": "1"}])["stateMachineArn"]
    sfn.create_state_machine(name="again", definition=PASS, roleArn=ROLE,
                             tags=[{"key": "other", "value": "2"}])
    assert tags_of(sfn, arn) == {"k": "1"}
    sfn.delete_state_machine(stateMachineArn=arn)
    sfn.create_state_machine(name="again", definition=PASS, roleArn=ROLE)
    assert tags_of(sfn, arn) == {}


def test_activity_tags(sfn):
    arn = sfn.create_activity(name="worker", tags=[{"key": "a", "value": "1"}])["activityArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}])
    assert tags_of(sfn, arn) == {"a": "1", "b": "2"}


def test_unknown_resources_and_versions_are_not_found(sfn):
    sfn.create_state_machine(name="m", definition=PASS, roleArn=ROLE)
    for arn in (SM + "nope", SM + "m:1",
                "arn:aws:states:us-east-1:123456789012:activity:nope"):
        with pytest.raises(ClientError) as exc:
            sfn.list_tags_for_resource(resourceArn=arn)
        assert error_of(exc) == ("ResourceNotFound", f"Resource not found: '{arn}'")


def test_invalid_arns(sfn):
    with pytest.raises(ClientError) as exc:
        sfn.tag_resource(resourceArn="nope", tags=[{"key": "k", "value": "v"}])
    assert error_of(exc) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'")
    execution = "arn:aws:states:us-east-1:123456789012:execution:m:e"
    with pytest.raises(ClientError) as exc:
        sfn.untag_resource(resourceArn=execution, tagKeys=["k"])
    assert error_of(exc) == ("InvalidArn",
                             "Invalid Arn: 'Resource type not valid in this context: execution'")


def test_too_many_tags(sfn):
    arn = sfn.create_state_machine(name="many", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": f"k{i}", "value": ""} for i in range(50)]
                                   )["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "overwrite"}])
    with pytest.raises(ClientError) as exc:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": "k50", "value": ""}])
    assert error_of(exc)[0] == "TooManyTags"
    assert len(tags_of(sfn, arn)) == 50
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine(name="toomany", definition=PASS, roleArn=ROLE,
                                 tags=[{"key": f"k{i}", "value": ""} for i in range(51)])
    assert error_of(exc)[0] == "TooManyTags"
    with pytest.raises(ClientError):
        sfn.describe_state_machine(stateMachineArn=SM + "toomany")


@pytest.mark.parametrize(("tag", "member", "constraint"), [
    ({"key": "k" * 129, "value": ""}, "tags.1.member.key", "less than or equal to 128"),
    ({"key": "k", "value": "v" * 257}, "tags.1.member.value", "less than or equal to 256"),
])
def test_key_and_value_lengths(sfn, tag, member, constraint):
    arn = sfn.create_state_machine(name="lengths", definition=PASS, roleArn=ROLE
                                   )["stateMachineArn"]
    with pytest.raises(ClientError) as exc:
        sfn.tag_resource(resourceArn=arn, tags=[tag])
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert f"at '{member}'" in message and constraint in message
    assert tags_of(sfn, arn) == {}


def test_reserved_prefix(sfn):
    arn = sfn.create_state_machine(name="reserved", definition=PASS, roleArn=ROLE
                                   )["stateMachineArn"]
    with pytest.raises(ClientError) as exc:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": "aws:x", "value": ""}])
    assert error_of(exc)[0] == "ValidationException"
