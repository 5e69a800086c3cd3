"""An answer is believed only when it is the API's answer.

A gateway's HTML page with status 200, or well-formed XML or JSON that some other service
wrote, parses into an empty response in botocore: no security groups, no policy, no grants,
"not configured" everywhere. Every successful response is checked here, before any collector
reads it: the body must be in the API's format, an XML answer must have the operation's root
element, and the fields the API always returns must be there. Anything else raises
InvalidAnswer, which the collectors record as a failed read (an `error` finding), never absent.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Optional

from botocore.exceptions import BotoCoreError


class InvalidAnswer(BotoCoreError):
    fmt = "{operation}: the response is not the API's answer ({reason})"


@dataclass(frozen=True)
class Expected:
    """What a successful answer of one operation always has."""

    fields: tuple[str, ...] = ()     # top-level keys of the parsed answer
    root: Optional[str] = None       # XML root element of a REST-XML answer (query/EC2: <Operation>Response)
    json_body: tuple[str, ...] = ()  # a REST-XML API whose payload is a JSON document: its required keys


# Keyed like ClientFactory's counters: '<service id>.<Operation>'.
EXPECTED: dict[str, Expected] = {
    "sts.GetCallerIdentity": Expected(("Account",)),
    "s3.ListBuckets": Expected(("Owner",), root="ListAllMyBucketsResult"),
    "s3.GetBucketLocation": Expected(root="LocationConstraint"),
    "s3.GetBucketEncryption": Expected(("ServerSideEncryptionConfiguration",),
                                       root="ServerSideEncryptionConfiguration"),
    "s3.GetPublicAccessBlock": Expected(("PublicAccessBlockConfiguration",), root="PublicAccessBlockConfiguration"),
    "s3.GetBucketPolicy": Expected(("Policy",), json_body=("Statement",)),
    "s3.GetBucketOwnershipControls": Expected(("OwnershipControls",), root="OwnershipControls"),
    "s3.GetBucketAcl": Expected(("Owner",), root="AccessControlPolicy"),
    "s3.GetBucketVersioning": Expected(root="VersioningConfiguration"),
    "s3.GetBucketLogging": Expected(root="BucketLoggingStatus"),
    "s3.GetBucketLifecycleConfiguration": Expected(("Rules",), root="LifecycleConfiguration"),
    "s3.GetObjectLockConfiguration": Expected(("ObjectLockConfiguration",), root="ObjectLockConfiguration"),
    "s3.GetBucketReplication": Expected(("ReplicationConfiguration",), root="ReplicationConfiguration"),
    "s3.GetBucketTagging": Expected(("TagSet",), root="Tagging"),
    "s3-control.GetPublicAccessBlock": Expected(("PublicAccessBlockConfiguration",),
                                                root="PublicAccessBlockConfiguration"),
    "ec2.DescribeRegions": Expected(("Regions",)),
    "ec2.DescribeSecurityGroups": Expected(("SecurityGroups",)),
    "ec2.DescribeVolumes": Expected(("Volumes",)),
    "ec2.DescribeInstances": Expected(("Reservations",)),
    "ec2.DescribeSnapshots": Expected(("Snapshots",)),
    "ec2.DescribeSnapshotAttribute": Expected(("SnapshotId",)),
    "ec2.DescribeImages": Expected(("Images",)),
    "ec2.DescribeLaunchTemplates": Expected(("LaunchTemplates",)),
    "ec2.DescribeLaunchTemplateVersions": Expected(("LaunchTemplateVersions",)),
    "ec2.DescribeVpcPeeringConnections": Expected(("VpcPeeringConnections",)),
    "ec2.DescribeTransitGatewayPeeringAttachments": Expected(("TransitGatewayPeeringAttachments",)),
    "ec2.DescribeImageAttribute": Expected(("ImageId",)),
    "ec2.GetEbsEncryptionByDefault": Expected(("EbsEncryptionByDefault",)),
    "ec2.GetEbsDefaultKmsKeyId": Expected(("KmsKeyId",)),
    "rds.DescribeDBInstances": Expected(("DBInstances",)),
    "kms.ListKeys": Expected(("Keys",)),
    "kms.ListAliases": Expected(("Aliases",)),
    "kms.DescribeKey": Expected(("KeyMetadata",)),
    "kms.GetKeyPolicy": Expected(("Policy",)),
    "kms.GetKeyRotationStatus": Expected(("KeyRotationEnabled",)),
    "kms.ListGrants": Expected(("Grants",)),
    "efs.DescribeFileSystems": Expected(("FileSystems",)),
    "efs.DescribeFileSystemPolicy": Expected(("Policy",)),
    "dynamodb.ListTables": Expected(("TableNames",)),
    "dynamodb.DescribeTable": Expected(("Table",)),
    "dynamodb.ListTagsOfResource": Expected(("Tags",)),
    "cloudtrail.DescribeTrails": Expected(("trailList",)),
    "cloudtrail.GetTrailStatus": Expected(("IsLogging",)),
    "iam.GetAccountPasswordPolicy": Expected(("PasswordPolicy",)),
    "iam.GetAccountSummary": Expected(("SummaryMap",)),
    "iam.GenerateCredentialReport": Expected(("State",)),
    "iam.GetCredentialReport": Expected(("Content",)),
    "iam.GetAccountAuthorizationDetails": Expected(("IsTruncated",)),
    "rds.DescribeDBSnapshots": Expected(("DBSnapshots",)),
    "rds.DescribeDBSnapshotAttributes": Expected(("DBSnapshotAttributesResult",)),
    "rds.DescribeDBClusters": Expected(("DBClusters",)),
    "redshift.DescribeClusters": Expected(("Clusters",)),
    "elasticache.DescribeReplicationGroups": Expected(("ReplicationGroups",)),
    "opensearch.ListDomainNames": Expected(("DomainNames",)),
    "opensearch.DescribeDomains": Expected(("DomainStatusList",)),
    "opensearch.ListTags": Expected(("TagList",)),
    "rds.DescribeGlobalClusters": Expected(("GlobalClusters",)),
    "rds.DescribeDBClusterSnapshots": Expected(("DBClusterSnapshots",)),
    "rds.DescribeDBClusterSnapshotAttributes": Expected(("DBClusterSnapshotAttributesResult",)),
    "lambda.ListFunctions": Expected(("Functions",)),
    "eks.ListClusters": Expected(("clusters",)),
    "eks.DescribeCluster": Expected(("cluster",)),
    "cloudfront.ListDistributions": Expected(("DistributionList",), root="DistributionList"),
    "lambda.GetPolicy": Expected(("Policy",)),
    "backup.ListBackupVaults": Expected(("BackupVaultList",)),
    "backup.ListBackupPlans": Expected(("BackupPlansList",)),
    "backup.GetBackupPlan": Expected(("BackupPlan",)),
    "backup.ListTags": Expected(("Tags",)),
    "ecr.DescribeRegistry": Expected(("registryId",)),
    "ecr.DescribeRepositories": Expected(("repositories",)),
    "ecr.GetRepositoryPolicy": Expected(("policyText",)),
    "ecr.ListTagsForResource": Expected(("tags",)),
    "sqs.ListQueues": Expected(),                      # no QueueUrls at all when there is no queue
    "sqs.GetQueueAttributes": Expected(),
    "sns.ListTopics": Expected(),
    "sns.GetTopicAttributes": Expected(("Attributes",)),
    "cloudwatch-logs.DescribeLogGroups": Expected(("logGroups",)),
    "cloudwatch-logs.DescribeSubscriptionFilters": Expected(("subscriptionFilters",)),
    "secrets-manager.ListSecrets": Expected(("SecretList",)),
    "secrets-manager.DescribeSecret": Expected(("ARN",)),
    "secrets-manager.GetResourcePolicy": Expected(("ARN",)),
    "ssm.DescribeParameters": Expected(("Parameters",)),
    "kinesis.ListStreams": Expected(("StreamNames",)),
    "kinesis.DescribeStreamSummary": Expected(("StreamDescriptionSummary",)),
    "kinesis.ListTagsForStream": Expected(("Tags",)),
    "glacier.ListVaults": Expected(("VaultList",)),
    "ecs.ListClusters": Expected(("clusterArns",)),
    "ecs.DescribeClusters": Expected(("clusters",)),
    "firehose.ListDeliveryStreams": Expected(("DeliveryStreamNames", "HasMoreDeliveryStreams")),
    "firehose.DescribeDeliveryStream": Expected(("DeliveryStreamDescription",)),
    "firehose.ListTagsForDeliveryStream": Expected(("Tags", "HasMoreTags")),
    "resource-groups-tagging-api.GetResources": Expected(("ResourceTagMappingList",)),
}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_root(body: bytes) -> str:
    try:
        return _local_name(ET.fromstring(body).tag)
    except ET.ParseError as error:
        raise ValueError(f"not XML: {error}") from None


def _json_object(body: bytes) -> dict:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


def problem(key: str, protocol: str, operation: str, body: bytes, parsed: dict[str, Any]) -> Optional[str]:
    """Why this successful response is not the operation's answer, or None when it is."""
    expected = EXPECTED.get(key)
    if expected is None:   # not a read luxguard believes (e.g. the enforcer's writes)
        return None
    try:
        if protocol in ("json", "rest-json") or expected.json_body:
            missing = [name for name in expected.json_body if name not in _json_object(body)]
            if missing:
                return f"a JSON document without {', '.join(missing)}"
        elif protocol in ("query", "ec2"):
            root = _xml_root(body)
            if root != f"{operation}Response":
                return f"XML root <{root}>, expected <{operation}Response>"
        elif protocol == "rest-xml" and expected.root:
            root = _xml_root(body)   # S3-compatible servers (the local cloud) may write <Operation>Response
            if root not in (expected.root, f"{operation}Response"):
                return f"XML root <{root}>, expected <{expected.root}>"
    except ValueError as error:
        return str(error)
    missing = [name for name in expected.fields if name not in parsed]
    return f"no {', '.join(missing)}" if missing else None


def check_answer(event_name: str, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    """botocore `after-call` handler: raise InvalidAnswer for a 2xx response that is not the answer."""
    if http_response is None or not 200 <= http_response.status_code < 300:
        return   # errors are ClientErrors, raised by botocore itself
    key = ".".join(event_name.split(".")[1:3])
    reason = problem(key, model.metadata.get("protocol", ""), model.name, http_response.content or b"", parsed)
    if reason:
        raise InvalidAnswer(operation=key, reason=reason)
