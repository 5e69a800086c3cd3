"""Need to know (luxguard/core/need_to_know.py), table-driven: does this policy let its identity read
personal data without a condition, on `*` or on this run's personal-data stores?"""

from __future__ import annotations

import json

import pytest

from luxguard.core.external_access import PolicyError
from luxguard.core.need_to_know import DATA_READ_ACTIONS, Store, data_reads, personal_data_reads, to_model

STORES = [Store("AWS::S3::Bucket", "arn:aws:s3:::customers", "customers"),
          Store("AWS::DynamoDB::Table", "arn:aws:dynamodb:lu-central-1:123456789012:table/orders", "orders"),
          Store("AWS::SecretsManager::Secret",
                "arn:aws:secretsmanager:lu-central-1:123456789012:secret:billing-AbCdEf", "billing"),
          Store("AWS::KMS::Key", "arn:aws:kms:lu-central-1:123456789012:key/k-1", "k-1"),
          Store("AWS::RDS::DBInstance", "arn:aws:rds:lu-central-1:123456789012:db:crm", "crm")]
TABLE = "arn:aws:dynamodb:lu-central-1:123456789012:table"


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


VPCE = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}

# (case, statements, the stores or '*' reached: {action: sorted reached names or ['*']})
CASES = [
    ("get object on everything", [allow("s3:GetObject")], {"s3:GetObject": ["*"]}),
    ("admin star", [allow("*")], {"*": ["*"]}),
    ("service wildcard", [allow("s3:*")], {"s3:GetObject": ["*"], "s3:GetObjectVersion": ["*"]}),
    ("prefix wildcard", [allow("s3:Get*")], {"s3:GetObject": ["*"], "s3:GetObjectVersion": ["*"]}),
    ("case-insensitive action", [allow("S3:getobject")], {"s3:GetObject": ["*"]}),
    ("question mark wildcard", [allow("s3:GetObjec?")], {"s3:GetObject": ["*"]}),
    ("configuration reads only", [allow(["s3:GetBucketPolicy", "s3:ListBucket"])], {}),
    ("objects of a personal bucket", [allow("s3:GetObject", "arn:aws:s3:::customers/*")],
     {"s3:GetObject": ["customers"]}),
    ("a prefix of a personal bucket", [allow("s3:GetObject", "arn:aws:s3:::customers/exports/*")],
     {"s3:GetObject": ["customers"]}),
    ("a bucket name wildcard", [allow("s3:GetObject", "arn:aws:s3:::cust*/*")], {"s3:GetObject": ["customers"]}),
    ("another bucket", [allow("s3:GetObject", "arn:aws:s3:::public-assets/*")], {}),
    ("with a condition", [allow("s3:GetObject", Condition=VPCE)], {}),
    ("with an empty condition", [allow("s3:GetObject", Condition={})], {"s3:GetObject": ["*"]}),
    ("deny everything wins", [allow("s3:GetObject"), deny("s3:*")], {}),
    ("deny with a condition does not", [allow("s3:GetObject"), deny("s3:*", Condition=VPCE)], {"s3:GetObject": ["*"]}),
    ("deny on another bucket does not", [allow("s3:GetObject", "arn:aws:s3:::customers/*"),
                                         deny("s3:GetObject", "arn:aws:s3:::other/*")], {"s3:GetObject": ["customers"]}),
    ("deny covering the pattern", [allow("s3:GetObject", "arn:aws:s3:::customers/*"),
                                   deny("s3:GetObject", "arn:aws:s3:::customers/*")], {}),
    ("NotAction leaves data reads in", [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
     {"*": ["*"]}),
    ("NotAction excluding them", [{"Effect": "Allow", "Resource": "*", "NotAction": [
        "s3:*", "kms:*", "dynamodb:*", "rds-db:*", "secretsmanager:*"]}], {}),
    ("NotResource is everything", [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"}],
     {"s3:GetObject": ["*"]}),
    ("a personal table", [allow("dynamodb:Scan", f"{TABLE}/orders")], {"dynamodb:Scan": ["orders"]}),
    ("a personal table's index", [allow("dynamodb:Query", f"{TABLE}/orders/index/by-date")],
     {"dynamodb:Query": ["orders"]}),
    ("another table", [allow("dynamodb:Scan", f"{TABLE}/metrics")], {}),
    ("a table in another account", [allow("dynamodb:Scan", "arn:aws:dynamodb:lu-central-1:999999999999:table/orders")],
     {}),
    ("a table in any region", [allow("dynamodb:GetItem", "arn:aws:dynamodb:*:123456789012:table/orders")],
     {"dynamodb:GetItem": ["orders"]}),
    ("an s3 action on a table ARN", [allow("s3:GetObject", f"{TABLE}/orders")], {}),
    ("a secret by name with suffix wildcard", [allow("secretsmanager:GetSecretValue",
      "arn:aws:secretsmanager:lu-central-1:123456789012:secret:billing-??????")],
     {"secretsmanager:GetSecretValue": ["billing"]}),
    ("another secret", [allow("secretsmanager:GetSecretValue",
                              "arn:aws:secretsmanager:lu-central-1:123456789012:secret:ci-token-??????")], {}),
    ("decrypt with a personal key", [allow("kms:Decrypt", "arn:aws:kms:lu-central-1:123456789012:key/k-1")],
     {"kms:Decrypt": ["k-1"]}),
    ("decrypt with another key", [allow("kms:Decrypt", "arn:aws:kms:lu-central-1:123456789012:key/k-2")], {}),
    ("rds-db connect names a database by resource id", [allow(
        "rds-db:connect", "arn:aws:rds-db:lu-central-1:123456789012:dbuser:db-ABC/app")], {"rds-db:connect": ["crm"]}),
    ("a single statement object", {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
     {"kms:Decrypt": ["*"]}),
]


def _reached(statements) -> dict[str, list[str]]:
    document = {"Version": "2012-10-17", "Statement": statements}
    reads = to_model(data_reads([("p", json.dumps(document))]))
    found: dict[str, set[str]] = {}
    for line in personal_data_reads(reads, STORES):
        actions, rest = line.split(" on ", 1)
        reached = ["*"] if rest.startswith("* ") else rest.split(": ", 1)[1].split(", ")
        for action in DATA_READ_ACTIONS if actions == "every data-reading action" else actions.split(", "):
            found.setdefault(action, set()).update(reached)
    if len(found) == len(DATA_READ_ACTIONS) and all(v == {"*"} for v in found.values()):
        return {"*": ["*"]}   # every data-reading action on everything
    return {a: sorted(v) for a, v in found.items()}


@pytest.mark.parametrize("case,statements,expected", CASES, ids=[c[0] for c in CASES])
def test_statement_verdicts(case, statements, expected):
    assert _reached(statements) == expected


def test_policies_of_an_identity_are_combined_and_named():
    reads = data_reads([("inline a", json.dumps({"Statement": [allow("s3:GetObject", "arn:aws:s3:::customers/*")]})),
                        ("group ops: arn:aws:iam::1:policy/deny", json.dumps({"Statement": [deny("s3:*")]}))])
    assert reads == []   # a Deny in another policy of the same identity subtracts
    reads = to_model(data_reads([("inline a", {"Statement": [allow("kms:Decrypt")]})]))
    assert personal_data_reads(reads, []) == ["kms:Decrypt on * (inline a)"]
    reads = to_model(data_reads([("admin", {"Statement": [allow("*")]})]))
    assert personal_data_reads(reads, STORES) == ["every data-reading action on * (admin)"]


@pytest.mark.parametrize("document", [None, "not json", json.dumps({"Version": "x"}),
                                      json.dumps({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
                                      json.dumps({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
                                      json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]})])
def test_what_cannot_be_read_is_an_error_never_no_reads(document):
    with pytest.raises(PolicyError):
        data_reads([("p", document)])


def test_the_stores_of_a_run_and_the_keys_that_encrypt_them():
    from luxguard.core.model import Resource
    from luxguard.core.need_to_know import personal_data_stores

    key = "arn:aws:kms:lu-central-1:123456789012:key/k-9"
    resources = [Resource("AWS::SQS::Queue", "orders-q", "lu-central-1", {"name": "orders-q", "classification": ["contact"],
                                                                           "kms_key_id": key}),
                 Resource("AWS::S3::Bucket", "logs", "lu-central-1", {"name": "logs", "classification": []}),
                 Resource("AWS::S3::Bucket", "cards", "lu-central-1", {"name": "cards", "classification": ["cardholder"],
                                                                       "encryption": {"kms_key_id": "alias/cards"}})]
    stores = personal_data_stores(resources)
    assert stores == [Store("AWS::KMS::Key", key, "the key of orders-q"), Store("AWS::S3::Bucket", "arn:aws:s3:::cards", "cards")]
    reads = to_model(data_reads([("p", {"Statement": [allow("kms:Decrypt", key), allow("s3:GetObject", "arn:aws:s3:::logs/*")]})]))
    assert personal_data_reads(reads, stores) == [f"kms:Decrypt on {key} (p): the key of orders-q"]
