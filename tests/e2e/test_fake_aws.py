"""The fake itself: the real-IAM paging that fake_aws.py adds to moto behaves like IAM, so
scenario 1's "every page read" means what it says. Spoken to with boto3, not the function."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from .fake_aws import REGION


@pytest.fixture
def iam(fake_aws, account):
    return boto3.client(
        "iam",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_fake_iam_pages_by_100_without_max_items_and_follows_its_marker(iam, account):
    first = iam.get_account_authorization_details(Filter=["Role"])
    assert len(first["RoleDetailList"]) == 100
    assert first["IsTruncated"] is True
    second = iam.get_account_authorization_details(
        Filter=["Role"], MaxItems=1000, Marker=first["Marker"]
    )
    assert len(second["RoleDetailList"]) == 1000
    ids = [r["RoleId"] for r in first["RoleDetailList"] + second["RoleDetailList"]]
    assert ids == list(account.roles)[:1100]


def test_fake_iam_refuses_max_items_over_1000_and_a_marker_it_did_not_issue(iam):
    for kwargs in ({"MaxItems": 1001}, {"Marker": "not-a-marker"}):
        with pytest.raises(ClientError) as raised:
            iam.get_account_authorization_details(Filter=["Role"], **kwargs)
        assert raised.value.response["Error"]["Code"] == "ValidationError", kwargs
