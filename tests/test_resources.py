"""The resource-type descriptors: every registered type is complete for the sources it claims,
and the central tables the stages read are views of them."""

from __future__ import annotations

import dataclasses

import pytest

from luxguard.core.model import CATEGORIES, common_vocabulary
from luxguard.core.rules import load_rules
from luxguard.resources import (
    Drift,
    LiveCollector,
    PulumiType,
    TerraformForm,
    all_types,
    by_cfn_type,
    by_pulumi_type,
    by_terraform_type,
    cloudformation_type,
    collector,
    pulumi_types,
    terraform_twin,
    vocabulary,
)
from luxguard.sources.pulumi_capture import Capture, CapturedResource
from luxguard.sources.pulumi_normalise import normalise

TYPES = [d.cfn_type for d in all_types()]


@pytest.mark.parametrize("cfn_type", TYPES)
def test_descriptor_is_complete_for_every_source_it_claims(cfn_type):
    descriptor = by_cfn_type(cfn_type)
    assert descriptor.problems(common_vocabulary()) == []
    if descriptor.live is not None:
        assert callable(collector(descriptor.live))
    if descriptor.drift is not None:
        assert descriptor.drift.missing_category in CATEGORIES


@pytest.mark.parametrize("cfn_type", TYPES)
def test_converters_produce_their_type_within_the_vocabulary(cfn_type):
    """Each converter, on a resource with no inputs, gives its model type and only model groups."""
    descriptor = by_cfn_type(cfn_type)
    groups = descriptor.groups() | set(common_vocabulary())
    for spec in descriptor.pulumi:
        if spec.convert is None:
            continue
        capture = Capture(project="p", stack="s", config={"aws:region": "lu-central-1"}, resources=[
            CapturedResource(urn=f"urn:pulumi:s::p::{spec.type}::r", type=spec.type, name="r", id="r", inputs={})])
        [resource] = normalise(capture)
        assert resource.type == cfn_type, spec.type
        assert set(resource.properties) <= groups, (spec.type, set(resource.properties) - groups)


def test_a_missing_part_is_reported():
    s3 = by_cfn_type("AWS::S3::Bucket")
    common = common_vocabulary()
    no_collector = dataclasses.replace(s3, live=None)
    assert any("needs a live collector" in p for p in no_collector.problems(common))
    half_iac = dataclasses.replace(s3, cloudformation=None)
    assert any("needs both" in p for p in half_iac.problems(common))
    wrong_twin = dataclasses.replace(s3, terraform=TerraformForm("aws_sqs_queue"))
    assert any("aws_sqs_queue is not the twin" in p for p in wrong_twin.problems(common))
    no_twin = dataclasses.replace(s3, pulumi=(dataclasses.replace(s3.pulumi[1], terraform=None),) + s3.pulumi[2:])
    assert any("terraform_blocks without a terraform twin" in p for p in no_twin.problems(common))
    undeclared = dataclasses.replace(s3, pulumi=(dataclasses.replace(s3.pulumi[0], inputs={}),) + s3.pulumi[1:])
    assert any("inputs must map" in p for p in undeclared.problems(common))
    bad_group = dataclasses.replace(s3, pulumi=(PulumiType(s3.pulumi[0].type, convert=s3.pulumi[0].convert,
                                                           inputs={"acl": ("no_such_group",)}),))
    assert any("no_such_group" in p for p in bad_group.problems(common))
    bad_safer = dataclasses.replace(s3, drift=Drift("retention", safer={"nope": True}))
    assert any("nope" in p for p in bad_safer.problems(common))
    bad_scope = dataclasses.replace(s3, live=LiveCollector("scanners.s3", "collect_bucket", scope="zonal", listing="x"))
    assert any("zonal" in p for p in bad_scope.problems(common))
    orphan_sandbox = dataclasses.replace(s3, pulumi=(dataclasses.replace(s3.pulumi[0], sandbox_rank=100),))
    assert any("sandbox_rank" in p for p in orphan_sandbox.problems(common))


def test_lookups_by_every_source_name():
    assert by_pulumi_type("aws:s3/bucketPolicy:BucketPolicy").cfn_type == "AWS::S3::Bucket"
    assert by_pulumi_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").cfn_type == "AWS::EC2::SecurityGroup"
    assert by_pulumi_type("aws:sqs/queue:Queue").cfn_type == "AWS::SQS::Queue"
    assert by_pulumi_type("aws:route53/zone:Zone") is None
    assert by_terraform_type("aws_db_instance").cfn_type == "AWS::RDS::DBInstance"
    assert by_terraform_type("aws_vpc_security_group_ingress_rule").cfn_type == "AWS::EC2::SecurityGroup"
    assert by_terraform_type("aws_sqs_queue").cfn_type == "AWS::SQS::Queue"
    assert by_terraform_type("aws_route53_zone") is None
    assert cloudformation_type("AWS::EC2::SecurityGroupIngress").convert({"GroupId": "sg-1"}, None)[0][0] == \
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    assert terraform_twin("aws_s3_bucket_lifecycle_configuration").terraform_blocks["rule"] == "rules"
    assert cloudformation_type("AWS::Route53::HostedZone") is None
    assert len({spec.type for spec in pulumi_types()}) == len(pulumi_types())


def test_every_rule_type_and_property_is_in_a_descriptor():
    vocab = vocabulary()
    for rule in load_rules():
        for rtype in rule.resource_types:
            assert rtype in vocab["types"], (rule.id, rtype)


def test_tables_are_views_of_the_descriptors():
    from luxguard.actors.drift import MANAGED_TYPES
    from luxguard.actors.enforcer.actions import TagResidencyViolation
    from luxguard.sources.checkov.terraform_plan import TYPE_MAP
    from luxguard.sources.pulumi_capture import PHYSICAL_NAME_INPUT

    assert TYPE_MAP == {s.type: s.terraform for s in pulumi_types() if s.terraform}
    assert PHYSICAL_NAME_INPUT == {s.type: s.physical_name for s in pulumi_types() if s.physical_name}
    assert set(MANAGED_TYPES) == {d.cfn_type for d in all_types() if d.drift}
    assert set(TagResidencyViolation.resource_types) == {d.cfn_type for d in all_types() if d.tagging}
