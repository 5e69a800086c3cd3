"""AWS::KinesisFirehose::DeliveryStream: a channel that copies records to a destination: a bucket, a
Redshift cluster, an OpenSearch domain, or a third party's HTTP endpoint (Datadog, Splunk,
Snowflake...). Judged on where it runs, where it delivers (`destination_regions`: each bucket's
region, the region in an AWS endpoint or ARN, and `endpoint:HOST` for a third party outside AWS,
which no country holds and an approval names in `destinations.regions`), and whether it encrypts
the records it buffers under a customer-managed key (a stream fed by a Kinesis stream or an MSK
cluster is encrypted by its source: `source` names it).

Every source reads destinations the same way: the values of `DESTINATION_FIELDS` anywhere in
the destination blocks, so backup buckets (`s3Configuration`, `s3BackupConfiguration`) count as
destinations too: they hold a copy of the records.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional
from urllib.parse import urlparse

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags
from luxguard.resources.sqs_queue import regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::KinesisFirehose::DeliveryStream"
PULUMI_TYPE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
CUSTOMER_KEY = "CUSTOMER_MANAGED_CMK"
# Pulumi's destination blocks (the keys of DescribeDeliveryStream's destinations are their live twins)
DESTINATION_BLOCKS = ("extendedS3Configuration", "httpEndpointConfiguration", "redshiftConfiguration",
                      "elasticsearchConfiguration", "opensearchConfiguration", "opensearchserverlessConfiguration",
                      "splunkConfiguration", "snowflakeConfiguration", "icebergConfiguration")
# Where records go, in pulumi's spelling (camelCase) and AWS's; a backup bucket is one of them
DESTINATION_FIELDS = frozenset({"bucketArn", "url", "clusterJdbcurl", "domainArn", "clusterEndpoint",
                                "collectionEndpoint", "hecEndpoint", "accountUrl", "catalogArn",
                                "BucketARN", "Url", "ClusterJDBCURL", "DomainARN", "ClusterEndpoint",
                                "CollectionEndpoint", "HECEndpoint", "AccountUrl", "CatalogARN"})
DESTINATION_GROUPS = ("destinations", "destination_regions")
SECRET_GROUPS = ("encrypted", *KEY_GROUPS)
AWS_HOST_REGION = re.compile(r"(?:^|[.-])(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)\.[a-z0-9.-]*amazonaws\.com(?:\.cn)?$")
BucketRegion = Callable[[str], Optional[str]]


def destination_targets(blocks: Any) -> list[str]:
    """Every place a stream's destination configuration names (bucket ARNs, URLs, ARNs)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key in DESTINATION_FIELDS and isinstance(item, str) and item:
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks)
    return sorted(found)


def bucket_of(target: str) -> Optional[str]:
    return target.split(":::", 1)[1].split("/", 1)[0] if target.startswith("arn:aws:s3:::") else None


def place_of(target: str, bucket_region: BucketRegion) -> Optional[str]:
    """The region a destination is in; `endpoint:HOST` outside AWS; None when not known."""
    from scanners.arns import region_of

    bucket = bucket_of(target)
    if bucket is not None:
        return bucket_region(bucket)
    if target.startswith("arn:"):
        return region_of(target)
    address = target.removeprefix("jdbc:")
    host = (urlparse(address if "://" in address else f"//{address}").hostname or "").lower()
    if not host:
        return None
    match = AWS_HOST_REGION.search(host)
    return match.group("region") if match else f"endpoint:{host}"


def delivery(blocks: Any, bucket_region: BucketRegion, resource: Resource) -> dict[str, Any]:
    """`destinations` and `destination_regions`; a destination whose region is not known leaves
    the regions undecided (an `error`), never a pass."""
    targets = destination_targets(blocks)
    places = {target: place_of(target, bucket_region) for target in targets}
    unknown = [target for target, place in places.items() if place is None]
    if unknown:
        resource.collection_errors.setdefault(   # a refused lookup has already said why
            "destination_regions", f"{resource.id}: the region of {', '.join(unknown)} is not known "
                                  "(a bucket not declared here)")
    return {"destinations": targets, "destination_regions": sorted({p for p in places.values() if p})}


def encryption_key(enabled: Any, key_type: Any, key_arn: Any) -> tuple[bool, Optional[str]]:
    """Whether buffered records are encrypted, and the customer key that does it (None: AWS's)."""
    on = bool(enabled)
    return on, (str(key_arn) if on and key_type == CUSTOMER_KEY and key_arn else None)


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    i = res.inputs
    resource.id = str(i.get("name") or res.name)
    resource.properties["name"] = resource.id
    resource.arn = stream_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    sse = i.get("serverSideEncryption") or {}
    encrypted, key = encryption_key(sse.get("enabled"), sse.get("keyType"), sse.get("keyArn"))
    source = ((i.get("kinesisSourceConfiguration") or {}).get("kinesisStreamArn")
              or (i.get("mskSourceConfiguration") or {}).get("mskClusterArn") or "")
    resource.properties.update({"encrypted": encrypted, **index.key_facts(key, resource.region), "source": str(source),
                                **delivery([i.get(b) for b in DESTINATION_BLOCKS], index.bucket_region, resource)})
    return resource


def stream_arn(region: Any, account: str, name: str) -> str:
    return regional_arn("firehose")(region, account, f"deliverystream/{name}")


# --------------------------------------------------------------------------- enforcer, sandbox

def read_tags(firehose: Any, stream: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    tags_: list[dict] = []
    while True:
        start = {"ExclusiveStartTagKey": tags_[-1]["Key"]} if tags_ else {}
        page = firehose.list_tags_for_delivery_stream(DeliveryStreamName=stream.id, Limit=50, **start)
        tags_.extend(page.get("Tags") or [])
        if not page.get("HasMoreTags") or not page.get("Tags"):
            return tag_dict(tags_)


def write_tags(stream: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagDeliveryStream", {"DeliveryStreamName": stream.id, "Tags": sandbox_tags({"tags": new})}


def _s3(block: Mapping, role: str) -> dict[str, str]:
    return {"RoleARN": str(block.get("roleArn") or role), "BucketARN": str(block.get("bucketArn"))}


def _destination(res: "CapturedResource", values: dict, role: str) -> dict[str, Any]:
    """The local sandbox makes the two destinations teams use most: a bucket and an HTTP endpoint."""
    if isinstance(values.get("extendedS3Configuration"), Mapping):
        return {"ExtendedS3DestinationConfiguration": _s3(values["extendedS3Configuration"], role)}
    http = values.get("httpEndpointConfiguration")
    if isinstance(http, Mapping):
        return {"HttpEndpointDestinationConfiguration": {
            "EndpointConfiguration": {"Url": str(http.get("url")), "Name": str(http.get("name") or res.name)},
            "RoleARN": str(http.get("roleArn") or role), "S3Configuration": _s3(http.get("s3Configuration") or {}, role)}}
    raise LuxguardError(f"provision (local sandbox): delivery stream {res.name} delivers to "
                        f"{values.get('destination')!r}; the sandbox makes extended_s3 and http_endpoint streams only")


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    firehose = provisioner.client("firehose", region)
    name = str(values.get("name") or res.name)
    role = f"arn:aws:iam::{provisioner.account}:role/firehose"
    source = values.get("kinesisSourceConfiguration") or {}
    firehose.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="KinesisStreamAsSource" if source else "DirectPut",
        **({"KinesisStreamSourceConfiguration": {"KinesisStreamARN": str(source.get("kinesisStreamArn")),
                                                 "RoleARN": str(source.get("roleArn") or role)}} if source else {}),
        **_destination(res, values, role), **({"Tags": sandbox_tags(values)} if values.get("tags") else {}))
    sse = values.get("serverSideEncryption") or {}
    if sse.get("enabled"):   # as AWS reports it: a status beside the key
        key = {"KeyARN": str(sse["keyArn"])} if sse.get("keyArn") else {}
        firehose.start_delivery_stream_encryption(DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={
            "KeyType": str(sse.get("keyType") or "AWS_OWNED_CMK"), **key})
    provisioner.exact[res.id] = name
    return name, {"arn": stream_arn(region, provisioner.account, name), "name": name}


# --------------------------------------------------------------------------- CloudFormation

CFN_DESTINATIONS = {"ExtendedS3DestinationConfiguration": "extendedS3Configuration",
                    "S3DestinationConfiguration": "extendedS3Configuration",
                    "HttpEndpointDestinationConfiguration": "httpEndpointConfiguration",
                    "RedshiftDestinationConfiguration": "redshiftConfiguration",
                    "ElasticsearchDestinationConfiguration": "elasticsearchConfiguration",
                    "AmazonopensearchserviceDestinationConfiguration": "opensearchConfiguration",
                    "AmazonOpenSearchServerlessDestinationConfiguration": "opensearchserverlessConfiguration",
                    "SplunkDestinationConfiguration": "splunkConfiguration",
                    "SnowflakeDestinationConfiguration": "snowflakeConfiguration",
                    "IcebergDestinationConfiguration": "icebergConfiguration"}
def cfn_stream(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    sse = p.get("DeliveryStreamEncryptionConfigurationInput")
    source = p.get("KinesisStreamSourceConfiguration") or {}
    msk = p.get("MSKSourceConfiguration") or {}
    values: dict[str, Any] = {
        "name": p.get("DeliveryStreamName") or context.own_id, "tags": tags(p),
        "serverSideEncryption": {"enabled": True, "keyType": sse.get("KeyType"), "keyArn": sse.get("KeyARN")}
        if isinstance(sse, dict) else None,
        "kinesisSourceConfiguration": {"kinesisStreamArn": source.get("KinesisStreamARN")} if source else None,
        "mskSourceConfiguration": {"mskClusterArn": msk.get("MSKClusterARN")} if msk else None}
    for cfn_name, pulumi_name in CFN_DESTINATIONS.items():   # the blocks as written: their fields are
        if p.get(cfn_name) is not None:                        # AWS's spelling, which DESTINATION_FIELDS reads
            values[pulumi_name] = p[cfn_name]
    return [(PULUMI_TYPE, "", values)]


def _input_groups() -> dict[str, tuple[str, ...]]:
    return {block: DESTINATION_GROUPS for block in DESTINATION_BLOCKS}


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="delivery stream",
    properties={**ENCRYPTION_PROPERTIES, "source": "string", "destinations": "list", "destination_regions": "list"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name",
                       terraform="aws_kinesis_firehose_delivery_stream",
                       inputs=inputs(name=("name",), serverSideEncryption=SECRET_GROUPS,
                                     kinesisSourceConfiguration=("source",), mskSourceConfiguration=("source",),
                                     **_input_groups()),
                       sandbox=provision, sandbox_rank=70),),
    arn=stream_arn,
    live=LiveCollector("scanners.firehose", "collect_delivery_streams", listing="firehose"),
    drift=Drift(missing_category="residency", safer={"encrypted": True, "customer_managed_key": True}),
    terraform=TerraformForm("aws_kinesis_firehose_delivery_stream"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_stream,
                                                                physical_name="DeliveryStreamName"),)),
    tagging=Tagging("firehose", read_tags, write_tags),
)

