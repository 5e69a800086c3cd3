"""External access analysis: a table of policy statements, each with the callers outside the
trusted zone it must report (IAM Access Analyzer's question, answered without the service)."""

from __future__ import annotations

import json

import pytest

from luxguard.core.external_access import (
    PolicyError,
    TrustedZone,
    analyse,
    external_grants,
    share_grants,
)

OURS, MEMBER, FOREIGN, OTHER = "111111111111", "222222222222", "999999999999", "888888888888"
ORG, FOREIGN_ORG = "o-ours123456", "o-theirs12345"
ZONE = TrustedZone(accounts=frozenset({OURS, MEMBER}), organizations=frozenset({ORG}))
BUCKET = "arn:aws:s3:::customer-data"


def allow(principal, action="s3:GetObject", condition=None, **extra):
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": f"{BUCKET}/*", **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(action="s3:*", condition=None, principal="*"):
    statement = {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": [BUCKET, f"{BUCKET}/*"]}
    if condition:
        statement["Condition"] = condition
    return statement


# (case id, statements, expected external callers: list of (principals, actions, public))
CASES = [
    ("anyone-star", [allow("*")], [(["*"], ["s3:GetObject"], True)]),
    ("anyone-aws-star", [allow({"AWS": "*"})], [(["*"], ["s3:GetObject"], True)]),
    ("own-account-id", [allow({"AWS": OURS})], []),
    ("own-account-root-arn", [allow({"AWS": f"arn:aws:iam::{OURS}:root"})], []),
    ("own-role-arn", [allow({"AWS": f"arn:aws:iam::{OURS}:role/app"})], []),
    ("org-member-account", [allow({"AWS": f"arn:aws:iam::{MEMBER}:root"})], []),
    ("foreign-account-id", [allow({"AWS": FOREIGN})], [([FOREIGN], ["s3:GetObject"], False)]),
    ("foreign-role-arn", [allow({"AWS": f"arn:aws:iam::{FOREIGN}:role/reader"})], [([FOREIGN], ["s3:GetObject"], False)]),
    ("foreign-assumed-role", [allow({"AWS": f"arn:aws:sts::{FOREIGN}:assumed-role/r/s"})],
     [([FOREIGN], ["s3:GetObject"], False)]),
    ("mixed-list", [allow({"AWS": [OURS, FOREIGN]})], [([FOREIGN], ["s3:GetObject"], False)]),
    ("wildcard-account-arn", [allow({"AWS": "arn:aws:iam::*:root"})], [(["*"], ["s3:GetObject"], True)]),
    ("partial-wildcard-account", [allow({"AWS": "arn:aws:iam::1111111111*:root"})], [(["*"], ["s3:GetObject"], True)]),
    ("star-principal-account-condition-ours", [allow("*", condition={"StringEquals": {"aws:PrincipalAccount": OURS}})], []),
    ("star-principal-account-condition-foreign",
     [allow("*", condition={"StringEquals": {"aws:PrincipalAccount": FOREIGN}})], [([FOREIGN], ["s3:GetObject"], False)]),
    ("star-principal-account-condition-mixed",
     [allow("*", condition={"StringEquals": {"aws:PrincipalAccount": [OURS, FOREIGN]}})],
     [([OURS, FOREIGN], ["s3:GetObject"], False)]),
    ("star-principal-org-condition-ours", [allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})], []),
    ("star-principal-org-condition-foreign",
     [allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": FOREIGN_ORG}})], [([FOREIGN_ORG], ["s3:GetObject"], False)]),
    ("star-principal-org-paths-ours",
     [allow("*", condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"}})], []),
    ("star-principal-arn-condition-ours",
     [allow("*", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OURS}:role/*"}})], []),
    ("star-principal-arn-condition-any-account",
     [allow("*", condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}})], [(["*"], ["s3:GetObject"], True)]),
    ("star-principal-ifexists-does-not-restrict",
     [allow("*", condition={"StringEqualsIfExists": {"aws:PrincipalAccount": OURS}})], [(["*"], ["s3:GetObject"], True)]),
    ("star-principal-not-equals-does-not-restrict",
     [allow("*", condition={"StringNotEquals": {"aws:PrincipalAccount": FOREIGN}})], [(["*"], ["s3:GetObject"], True)]),
    ("star-principal-source-vpce", [allow("*", condition={"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}})], []),
    ("star-principal-source-vpc", [allow("*", condition={"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}})], []),
    ("star-principal-source-ip-private", [allow("*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})], []),
    ("star-principal-source-ip-public",
     [allow("*", condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}})],
     [(["*"], ["s3:GetObject"], True)]),
    ("star-principal-secure-transport-only", [allow("*", condition={"Bool": {"aws:SecureTransport": "true"}})],
     [(["*"], ["s3:GetObject"], True)]),
    ("service-no-condition", [allow({"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject")], []),
    ("service-source-account-ours",
     [allow({"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject",
            condition={"StringEquals": {"aws:SourceAccount": OURS}})], []),
    ("service-source-account-foreign",
     [allow({"Service": "cloudtrail.amazonaws.com"}, action="s3:PutObject",
            condition={"StringEquals": {"aws:SourceAccount": FOREIGN}})], [([FOREIGN, "cloudtrail.amazonaws.com"], ["s3:PutObject"], False)]),
    ("service-source-arn-foreign",
     [allow({"Service": "sns.amazonaws.com"}, action="sqs:SendMessage",
            condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:eu-west-1:{FOREIGN}:topic"}})],
     [([FOREIGN, "sns.amazonaws.com"], ["sqs:SendMessage"], False)]),
    ("service-source-arn-without-account",
     [allow({"Service": "s3.amazonaws.com"}, action="sqs:SendMessage",
            condition={"ArnLike": {"aws:SourceArn": "arn:aws:s3:::some-bucket"}})], []),
    ("federated-public-idp", [allow({"Federated": "cognito-identity.amazonaws.com"}, action="s3:GetObject")],
     [(["*"], ["s3:GetObject"], True)]),
    ("federated-own-saml", [allow({"Federated": f"arn:aws:iam::{OURS}:saml-provider/corp"})], []),
    ("federated-foreign-saml", [allow({"Federated": f"arn:aws:iam::{FOREIGN}:saml-provider/corp"})],
     [([FOREIGN], ["s3:GetObject"], False)]),
    ("canonical-user", [allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"})], [(["*"], ["s3:GetObject"], True)]),
    ("not-principal-allow", [{"Effect": "Allow", "NotPrincipal": {"AWS": OURS}, "Action": "s3:GetObject",
                              "Resource": f"{BUCKET}/*"}], [(["*"], ["s3:GetObject"], True)]),
    ("foreign-account-within-our-org-condition",
     [allow({"AWS": FOREIGN}, condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})], []),
    ("deny-outside-org-subtracts-public",
     [allow("*"), deny(condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}})], []),
    ("deny-outside-accounts-subtracts-foreign",
     [allow({"AWS": FOREIGN}), deny(condition={"StringNotEquals": {"aws:PrincipalAccount": [OURS, MEMBER]}})], []),
    ("deny-outside-accounts-keeps-listed-foreign",
     [allow("*"), deny(condition={"StringNotEquals": {"aws:PrincipalAccount": [OURS, FOREIGN]}})],
     [([OURS, FOREIGN], ["s3:GetObject"], False)]),
    ("deny-unconditional-same-action", [allow("*"), deny(action="s3:GetObject")], []),
    ("deny-unconditional-wildcard-action", [allow("*", action=["s3:GetObject", "s3:ListBucket"]), deny(action="s3:*")], []),
    ("deny-partial-actions",
     [allow("*", action=["s3:GetObject", "s3:PutObject"]), deny(action="s3:PutObject")], [(["*"], ["s3:GetObject"], True)]),
    ("deny-narrower-than-allow-pattern", [allow("*", action="s3:*"), deny(action="s3:GetObject")], [(["*"], ["s3:*"], True)]),
    ("deny-insecure-transport-does-not-subtract",
     [allow("*"), deny(condition={"Bool": {"aws:SecureTransport": "false"}})], [(["*"], ["s3:GetObject"], True)]),
    ("deny-for-one-account-does-not-subtract",
     [allow("*"), deny(principal={"AWS": FOREIGN})], [(["*"], ["s3:GetObject"], True)]),
    ("deny-with-ifexists-does-not-subtract",
     [allow("*"), deny(condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}})],
     [(["*"], ["s3:GetObject"], True)]),
    ("deny-with-mixed-condition-does-not-subtract",
     [allow("*"), deny(condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}, "Bool": {"aws:SecureTransport": "false"}})],
     [(["*"], ["s3:GetObject"], True)]),
    ("not-action-allow", [{"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "NotAction": "s3:DeleteObject",
                           "Resource": "*"}], [([FOREIGN], ["* except s3:DeleteObject"], False)]),
    ("two-statements-one-foreign",
     [allow({"AWS": OURS}, action="s3:*", Sid="Own"), allow({"AWS": FOREIGN}, action="s3:GetObject", Sid="Partner")],
     [([FOREIGN], ["s3:GetObject"], False)]),
    ("kms-foreign-decrypt", [allow({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, action=["kms:Decrypt", "kms:DescribeKey"])],
     [([FOREIGN], ["kms:Decrypt", "kms:DescribeKey"], False)]),
    ("sqs-anyone-send", [allow("*", action="sqs:SendMessage")], [(["*"], ["sqs:SendMessage"], True)]),
]


@pytest.mark.parametrize("case_id, stmts, expected", CASES, ids=[c[0] for c in CASES])
def test_external_callers(case_id, stmts, expected):
    document = json.dumps({"Version": "2012-10-17", "Statement": stmts})
    found = [(g.principals(), list(g.actions), g.public) for g in external_grants(analyse(document), ZONE)]
    assert found == expected


def test_the_table_has_at_least_forty_statements():
    assert len(CASES) >= 40


def test_an_approved_processor_joins_the_zone_only_when_named():
    grants = analyse({"Statement": [allow({"AWS": OTHER})]})
    assert external_grants(grants, ZONE)
    assert external_grants(grants, TrustedZone(ZONE.accounts | {OTHER}, ZONE.organizations)) == []


def test_shares_all_is_public_and_accounts_are_named():
    grants = share_grants(["all", FOREIGN, OURS], ["ec2:CreateVolume"])
    assert [(g.principals(), g.public) for g in external_grants(grants, ZONE)] == [([FOREIGN], False), (["*"], True)]


def test_grants_round_trip_through_the_model():
    from luxguard.core.external_access import Grant
    grants = analyse({"Statement": [allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": FOREIGN_ORG}})]})
    assert [Grant.from_dict(g.to_dict()) for g in grants] == grants


@pytest.mark.parametrize("document, problem", [
    ("{not json", "not JSON"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Statement": ["oops"]}, "not a list of objects"),
    ({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*"}]}, "Effect"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "no Principal"),
    ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "someone"}, "Action": "s3:*"}]}, "unrecognised AWS principal"),
    ({"Statement": [{"Effect": "Allow", "Principal": {"Alien": "x"}, "Action": "s3:*"}]}, "Principal type"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "not-an-ip"}}}]}, "address range"),
])
def test_documents_it_cannot_judge_are_errors_not_internal(document, problem):
    with pytest.raises(PolicyError, match=problem):
        analyse(document)


def test_no_policy_grants_nothing():
    assert analyse(None) == [] and analyse("") == []
