"""A captured Pulumi program written out as the Terraform and CloudFormation a user would write
for the same resources: the rule cases' second and third forms.

Terraform: one `.tf` file with a provider per region (aliases), resources that refer to each
other (`bucket = aws_s3_bucket.x.id`, `kms_master_key_id = aws_kms_key.k.arn`), policies as
`jsonencode(...)`. Its plan JSON is the document checkov's converter writes.
CloudFormation: one template per region (a template deploys to one region), the bucket's
configuration inside `AWS::S3::Bucket`, `!Ref`/`!GetAtt`/`!Sub` within a template and names or
ARNs across templates. Types CloudFormation has no resource for (EBS snapshots, AMIs, EBS encryption by
default, default security groups) make the program not expressible: `cloudformation()` returns None.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

import yaml

from luxguard.sources.checkov.terraform_plan import TYPE_MAP, capture_to_plan, terraform_values
from luxguard.sources.pulumi_capture import DEFAULT_ACCOUNT, PROVIDER_PREFIX, Capture, CapturedResource, arn_for

HOME = "lu-central-1"


def region_of(capture: Capture, res: CapturedResource) -> str:
    providers = {r.urn: r.inputs.get("region") for r in capture.resources if r.type.startswith(PROVIDER_PREFIX)}
    return str(res.inputs.get("region") or providers.get(res.provider) or capture.config.get("aws:region") or HOME)


def arn_of(capture: Capture, res: CapturedResource) -> Optional[str]:
    if res.type == "aws:s3/bucket:Bucket":
        return f"arn:aws:s3:::{res.id}"
    if res.type == "aws:kms/key:Key":
        return f"arn:aws:kms:{region_of(capture, res)}:{DEFAULT_ACCOUNT}:key/{res.id}"
    if res.type in ("aws:sns/topic:Topic", "aws:secretsmanager/secret:Secret"):   # their policies name them by ARN
        return arn_for(res.type, region_of(capture, res), DEFAULT_ACCOUNT, res.id)
    return None


# --- Terraform ------------------------------------------------------------------------------------

def terraform_plan(capture: Capture) -> dict:
    return capture_to_plan(capture).document


def _alias(region: str) -> str:
    return region.replace("-", "_")


def _hcl(value: Any, refs: dict[str, str], indent: str) -> str:
    if isinstance(value, str):
        if value in refs:
            return refs[value]
        if value[:1] in "{[":
            try:
                return "jsonencode(" + _hcl(json.loads(value), {}, indent) + ")"
            except ValueError:
                pass
        return json.dumps(value).replace("${", "$${")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value) if float(value).is_integer() else value)
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v, refs, indent) for v in value) + "]"
    inner = indent + "  "
    items = "".join(f"{inner}{json.dumps(str(k))} = {_hcl(v, refs, inner)}\n" for k, v in value.items())
    return "{\n" + items + indent + "}"


def _body(values: dict, refs: dict[str, str], indent: str, top: bool = True) -> str:
    out = ""
    for key, value in values.items():
        if (top and key == "region") or value is None:   # the resource's region: the provider's
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for block in value:
                out += f"{indent}{key} {{\n{_body(block, refs, indent + '  ', top=False)}{indent}}}\n"
        else:
            out += f"{indent}{key} = {_hcl(value, refs, indent)}\n"
    return out


def terraform(capture: Capture) -> str:
    """The program as a Terraform configuration (one main.tf)."""
    plan = capture_to_plan(capture)
    refs: dict[str, str] = {}
    for address, entry in plan.entries.items():
        res = entry.resource
        refs.setdefault(res.id, f"{address}.id")
        arn = arn_of(capture, res)
        if arn:
            refs.setdefault(arn, f"{address}.arn")
    regions = sorted({e.region or HOME for e in plan.entries.values()} | {HOME})
    text = f'provider "aws" {{\n  region = "{HOME}"\n}}\n\n'
    text += "".join(f'provider "aws" {{\n  alias  = "{_alias(r)}"\n  region = "{r}"\n}}\n\n' for r in regions if r != HOME)
    for address, entry in plan.entries.items():
        tf_type, name = address.split(".", 1)
        own = {k: v for k, v in refs.items() if not v.startswith(address + ".")}
        values = terraform_values(entry.resource)
        provider = f"  provider = aws.{_alias(entry.region)}\n" if entry.region and entry.region != HOME else ""
        text += f'resource "{tf_type}" "{name}" {{\n{provider}{_body(values, own, "  ")}}}\n\n'
    return text


# --- CloudFormation ------------------------------------------------------------------------------

NOT_IN_CLOUDFORMATION = {"aws:ebs/snapshot:Snapshot", "aws:ebs/snapshotCopy:SnapshotCopy",
                         "aws:ebs/encryptionByDefault:EncryptionByDefault",
                         "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
                         "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                         "aws:ssm/parameter:Parameter",   # CloudFormation creates no SecureString
                         "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
                         "aws:kms/grant:Grant",   # CloudFormation has no KMS grant, nor AMIs
                         "aws:ec2/ami:Ami", "aws:ec2/amiCopy:AmiCopy", "aws:ec2/amiFromInstance:AmiFromInstance",
                         "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
                         "aws:rds/clusterSnapshot:ClusterSnapshot"}
CANNED = {"private": "Private", "public-read": "PublicRead", "public-read-write": "PublicReadWrite",
          "authenticated-read": "AuthenticatedRead", "log-delivery-write": "LogDeliveryWrite"}


def logical_id(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


class _Templates:
    def __init__(self, capture: Capture):
        self.capture = capture
        self.by_id = {(r.type, r.id): r for r in capture.resources}
        self.templates: dict[str, dict] = {}

    def region(self, res: CapturedResource) -> str:
        return region_of(self.capture, res)

    def put(self, res: CapturedResource, cfn_type: str, properties: dict) -> None:
        template = self.templates.setdefault(self.region(res), {
            "AWSTemplateFormatVersion": "2010-09-09", "Metadata": {"luxguard": {"region": self.region(res)}},
            "Resources": {}})
        template["Resources"][logical_id(res.name)] = {
            "Type": cfn_type, "Properties": {k: v for k, v in properties.items() if v is not None}}

    def link(self, value: Any, home: CapturedResource, attribute: str = "Ref") -> Any:
        """A value naming another resource: !Ref/!GetAtt in the same template, else the literal."""
        for (rtype, rid), target in self.by_id.items():
            if target.type.startswith(PROVIDER_PREFIX) or self.region(target) != self.region(home):
                continue
            if value == rid and rtype in TYPE_MAP:
                return Ref(logical_id(target.name))
            if value == arn_of(self.capture, target):
                return GetAtt(f"{logical_id(target.name)}.Arn")
        return value


def _tags(inputs: dict) -> Optional[list]:
    tags = inputs.get("tags") or {}
    return [{"Key": k, "Value": v} for k, v in tags.items()] or None


def _children(capture: Capture, bucket: CapturedResource) -> dict[str, CapturedResource]:
    return {r.type.split(":")[-1]: r for r in capture.resources
            if r.type.startswith("aws:s3/") and r.inputs.get("bucket") == bucket.id and r is not bucket}


def _bucket(t: _Templates, res: CapturedResource) -> None:
    c = {k: v.inputs for k, v in _children(t.capture, res).items()}
    p: dict[str, Any] = {"BucketName": res.inputs.get("bucket"), "Tags": _tags(res.inputs),
                         "ObjectLockEnabled": res.inputs.get("objectLockEnabled")}
    if "BucketServerSideEncryptionConfiguration" in c:
        rule = c["BucketServerSideEncryptionConfiguration"]["rules"][0]
        default = rule["applyServerSideEncryptionByDefault"]
        by_default = {"SSEAlgorithm": default["sseAlgorithm"]}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = t.link(default["kmsMasterKeyId"], res)
        p["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled"))}]}
    if "BucketPublicAccessBlock" in c:
        pab = c["BucketPublicAccessBlock"]
        p["PublicAccessBlockConfiguration"] = {k[:1].upper() + k[1:]: pab[k] for k in (
            "blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets") if k in pab}
    if "BucketVersioning" in c:
        p["VersioningConfiguration"] = {"Status": c["BucketVersioning"]["versioningConfiguration"]["status"]}
    if "BucketLogging" in c:
        p["LoggingConfiguration"] = {"DestinationBucketName": t.link(c["BucketLogging"]["targetBucket"], res),
                                     "LogFilePrefix": c["BucketLogging"].get("targetPrefix")}
    if "BucketOwnershipControls" in c:
        p["OwnershipControls"] = {"Rules": [{"ObjectOwnership": c["BucketOwnershipControls"]["rule"]["objectOwnership"]}]}
    if "BucketLifecycleConfiguration" in c:
        rules = []
        for r in c["BucketLifecycleConfiguration"]["rules"]:
            rule = {"Id": r.get("id"), "Status": r["status"]}
            if r.get("expiration"):
                rule["ExpirationInDays"] = int(r["expiration"]["days"])
            if r.get("noncurrentVersionExpiration"):
                rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(r["noncurrentVersionExpiration"]["noncurrentDays"])}
            rules.append(rule)
        p["LifecycleConfiguration"] = {"Rules": rules}
    if "BucketObjectLockConfiguration" in c:
        retention = c["BucketObjectLockConfiguration"]["rule"]["defaultRetention"]
        p["ObjectLockEnabled"] = True
        p["ObjectLockConfiguration"] = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {
            "Mode": retention.get("mode"), "Days": int(retention["days"])}}}
    if "BucketAcl" in c:
        p["AccessControl"] = CANNED[c["BucketAcl"]["acl"]]
    if "BucketReplicationConfig" in c:
        p["VersioningConfiguration"] = p.get("VersioningConfiguration") or {"Status": "Enabled"}
        p["ReplicationConfiguration"] = {"Role": c["BucketReplicationConfig"]["role"], "Rules": [
            {"Id": r.get("id"), "Status": r.get("status", "Enabled"),
             "Destination": {"Bucket": t.link(r["destination"]["bucket"], res)}}
            for r in c["BucketReplicationConfig"]["rules"]]}
    t.put(res, "AWS::S3::Bucket", p)
    if "BucketPolicy" in c:
        policy = CapturedResource(urn="", type="policy", name=f"{res.name}-policy", id="", inputs={},
                                  provider=res.provider)
        t.put(policy, "AWS::S3::BucketPolicy", {"Bucket": t.link(res.id, res),
                                                "PolicyDocument": json.loads(c["BucketPolicy"]["policy"])})


def _ingress(rules: list[dict]) -> list[dict]:
    out = []
    for r in rules:
        base = {"IpProtocol": r.get("protocol"), "FromPort": int(r.get("fromPort", 0)), "ToPort": int(r.get("toPort", 0))}
        out += [{**base, "CidrIp": cidr} for cidr in r.get("cidrBlocks") or []]
        out += [{**base, "CidrIpv6": cidr} for cidr in r.get("ipv6CidrBlocks") or []]
    return out


def _put(t: _Templates, res: CapturedResource) -> None:
    i = res.inputs
    if res.type == "aws:s3/bucket:Bucket":
        _bucket(t, res)
    elif res.type == "aws:kms/key:Key":
        t.put(res, "AWS::KMS::Key", {"EnableKeyRotation": bool(i.get("enableKeyRotation")),
                                     "KeyPolicy": json.loads(i["policy"]) if i.get("policy") else None})
    elif res.type == "aws:kms/alias:Alias":
        t.put(res, "AWS::KMS::Alias", {"AliasName": i.get("name"), "TargetKeyId": t.link(i.get("targetKeyId"), res)})
    elif res.type == "aws:ec2/securityGroup:SecurityGroup":
        t.put(res, "AWS::EC2::SecurityGroup", {"GroupName": i.get("name"), "GroupDescription": res.name,
                                               "SecurityGroupIngress": _ingress(i.get("ingress") or []) or None,
                                               "SecurityGroupEgress": _ingress(i.get("egress") or [])})
    elif res.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        t.put(res, "AWS::EC2::SecurityGroupIngress", {
            "GroupId": t.link(i.get("securityGroupId"), res), "IpProtocol": i.get("ipProtocol"),
            "FromPort": int(i["fromPort"]) if "fromPort" in i else None,
            "ToPort": int(i["toPort"]) if "toPort" in i else None, "CidrIp": i.get("cidrIpv4"), "CidrIpv6": i.get("cidrIpv6")})
    elif res.type == "aws:ebs/volume:Volume":
        t.put(res, "AWS::EC2::Volume", {"AvailabilityZone": i.get("availabilityZone"), "Size": i.get("size"),
                                        "Encrypted": bool(i.get("encrypted")),
                                        "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None,
                                        "Tags": _tags(i)})
    elif res.type == "aws:rds/instance:Instance":
        t.put(res, "AWS::RDS::DBInstance", {
            "DBInstanceIdentifier": i.get("identifier"), "Engine": i.get("engine"),
            "DBInstanceClass": i.get("instanceClass"), "AllocatedStorage": str(int(i.get("allocatedStorage", 20))),
            "StorageEncrypted": bool(i.get("storageEncrypted")),
            "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None,
            "PubliclyAccessible": bool(i.get("publiclyAccessible")), "Tags": _tags(i),
            "SourceDBInstanceIdentifier": t.link(i["replicateSourceDb"], res) if i.get("replicateSourceDb") else None})
    elif res.type == "aws:rds/cluster:Cluster":
        t.put(res, "AWS::RDS::DBCluster", {
            "DBClusterIdentifier": i.get("clusterIdentifier"), "Engine": i.get("engine"),
            "StorageEncrypted": bool(i.get("storageEncrypted")),
            "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None,
            **{cfn: t.link(i[name], res) for name, cfn in (("globalClusterIdentifier", "GlobalClusterIdentifier"),
                                                           ("replicationSourceIdentifier", "ReplicationSourceIdentifier"))
               if i.get(name)}, "Tags": _tags(i)})
    elif res.type == "aws:redshift/cluster:Cluster":
        t.put(res, "AWS::Redshift::Cluster", {
            "ClusterIdentifier": i.get("clusterIdentifier"), "NodeType": i.get("nodeType"), "ClusterType": "single-node",
            "MasterUsername": i.get("masterUsername"), "ManageMasterPassword": True, "DBName": "dev",
            "Encrypted": bool(i.get("encrypted")), "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None,
            "PubliclyAccessible": bool(i.get("publiclyAccessible")), "Tags": _tags(i)})
    elif res.type == "aws:redshift/snapshotCopy:SnapshotCopy":   # inline in CloudFormation
        owner = t.templates[t.region(res)]["Resources"][str(t.link(i.get("clusterIdentifier"), res))]
        owner["Properties"]["DestinationRegion"] = i.get("destinationRegion")
        owner["Properties"]["SnapshotCopyRetentionPeriod"] = i.get("retentionPeriod")
    elif res.type == "aws:opensearch/domain:Domain":
        at_rest = i.get("encryptAtRest") or {}
        t.put(res, "AWS::OpenSearchService::Domain", {
            "DomainName": i.get("domainName"),
            "EncryptionAtRestOptions": {"Enabled": bool(at_rest.get("enabled")), **(
                {"KmsKeyId": t.link(at_rest["kmsKeyId"], res)} if at_rest.get("kmsKeyId") else {})},
            "NodeToNodeEncryptionOptions": {"Enabled": bool((i.get("nodeToNodeEncryption") or {}).get("enabled"))},
            "DomainEndpointOptions": {"EnforceHTTPS": bool((i.get("domainEndpointOptions") or {}).get("enforceHttps"))},
            "Tags": _tags(i)})
    elif res.type == "aws:opensearch/domainPolicy:DomainPolicy":   # inline in CloudFormation
        owner = t.templates[t.region(res)]["Resources"][str(t.link(i.get("domainName"), res))]
        owner["Properties"]["AccessPolicies"] = _document(i.get("accessPolicies"))
    elif res.type == "aws:elasticache/replicationGroup:ReplicationGroup":
        t.put(res, "AWS::ElastiCache::ReplicationGroup", {
            "ReplicationGroupId": i.get("replicationGroupId"), "ReplicationGroupDescription": i.get("description"),
            "Engine": i.get("engine"), "CacheNodeType": i.get("nodeType"), "NumCacheClusters": i.get("numCacheClusters"),
            "AtRestEncryptionEnabled": bool(i.get("atRestEncryptionEnabled")),
            "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None,
            "TransitEncryptionEnabled": bool(i.get("transitEncryptionEnabled")), "Tags": _tags(i)})
    elif res.type == "aws:ec2/vpc:Vpc":
        t.put(res, "AWS::EC2::VPC", {"CidrBlock": i.get("cidrBlock"), "Tags": _tags(i)})
    elif res.type == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        t.put(res, "AWS::EC2::VPCPeeringConnection", {
            "VpcId": t.link(i.get("vpcId"), res), "PeerVpcId": t.link(i.get("peerVpcId"), res),
            "PeerRegion": i.get("peerRegion"), "PeerOwnerId": i.get("peerOwnerId"), "Tags": _tags(i)})
    elif res.type == "aws:ec2/launchTemplate:LaunchTemplate":
        t.put(res, "AWS::EC2::LaunchTemplate", {
            "LaunchTemplateName": i.get("name"), "LaunchTemplateData": {"BlockDeviceMappings": [
                {"DeviceName": m.get("deviceName"), "Ebs": {
                    "Encrypted": str((m.get("ebs") or {}).get("encrypted")).lower() == "true",
                    "VolumeSize": (m.get("ebs") or {}).get("volumeSize"),
                    **({"KmsKeyId": t.link(m["ebs"]["kmsKeyId"], res)} if (m.get("ebs") or {}).get("kmsKeyId") else {})}}
                for m in i.get("blockDeviceMappings") or []]},
            "TagSpecifications": [{"ResourceType": "launch-template", "Tags": _tags(i)}] if _tags(i) else None})
    elif res.type == "aws:ecs/cluster:Cluster":
        storage = (i.get("configuration") or {}).get("managedStorageConfiguration") or {}
        t.put(res, "AWS::ECS::Cluster", {
            "ClusterName": i.get("name"), "Tags": _tags(i),
            "ClusterSettings": [{"Name": c.get("name"), "Value": c.get("value")} for c in i.get("settings") or []] or None,
            "Configuration": {"ManagedStorageConfiguration": {"FargateEphemeralStorageKmsKeyId": t.link(
                storage["fargateEphemeralStorageKmsKeyId"], res)}} if storage.get("fargateEphemeralStorageKmsKeyId") else None})
    elif res.type == "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter":
        t.put(res, "AWS::Logs::SubscriptionFilter", {
            "FilterName": i.get("name"), "LogGroupName": t.link(i.get("logGroup"), res),
            "DestinationArn": i.get("destinationArn"), "FilterPattern": i.get("filterPattern")})
    elif res.type == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        def s3(c: dict) -> dict:
            return {"RoleARN": c.get("roleArn"), "BucketARN": t.link(c.get("bucketArn"), res)}
        http, sse, source = (i.get(k) or {} for k in (
            "httpEndpointConfiguration", "serverSideEncryption", "kinesisSourceConfiguration"))
        t.put(res, "AWS::KinesisFirehose::DeliveryStream", {
            "DeliveryStreamName": i.get("name"), "Tags": _tags(i),
            "DeliveryStreamType": "KinesisStreamAsSource" if source else "DirectPut",
            "KinesisStreamSourceConfiguration": {"KinesisStreamARN": t.link(source.get("kinesisStreamArn"), res),
                                                 "RoleARN": source.get("roleArn")} if source else None,
            "DeliveryStreamEncryptionConfigurationInput": {"KeyType": sse.get("keyType"), **(
                {"KeyARN": t.link(sse["keyArn"], res)} if sse.get("keyArn") else {})} if sse.get("enabled") else None,
            "ExtendedS3DestinationConfiguration": s3(i["extendedS3Configuration"])
            if i.get("extendedS3Configuration") else None,
            "HttpEndpointDestinationConfiguration": {
                "EndpointConfiguration": {"Url": http.get("url"), "Name": http.get("name")},
                "RoleARN": http.get("roleArn"), "S3Configuration": s3(http.get("s3Configuration") or {})}
            if http else None})
    elif res.type == "aws:cloudfront/distribution:Distribution":
        def origin(o: dict) -> dict:
            custom = o.get("customOriginConfig")
            return {"Id": o.get("originId"), "DomainName": t.link(o.get("domainName"), res),
                    **({"CustomOriginConfig": {"HTTPPort": int(custom.get("httpPort") or 80),
                                               "HTTPSPort": int(custom.get("httpsPort") or 443),
                                               "OriginProtocolPolicy": custom.get("originProtocolPolicy")}}
                       if custom else {"S3OriginConfig": {"OriginAccessIdentity": ""}})}
        behaviour = i.get("defaultCacheBehavior") or {}
        geo = (i.get("restrictions") or {}).get("geoRestriction") or {}
        t.put(res, "AWS::CloudFront::Distribution", {"DistributionConfig": {
            "Enabled": bool(i.get("enabled")), "PriceClass": i.get("priceClass"),
            "Origins": [origin(o) for o in i.get("origins") or []],
            "DefaultCacheBehavior": {"TargetOriginId": behaviour.get("targetOriginId"),
                                     "ViewerProtocolPolicy": behaviour.get("viewerProtocolPolicy")},
            "Restrictions": {"GeoRestriction": {"RestrictionType": geo.get("restrictionType"),
                                                "Locations": geo.get("locations")}}}, "Tags": _tags(i)})
    elif res.type == "aws:ec2/instance:Instance":
        def mapping(name: str, d: dict) -> dict:
            return {"DeviceName": d.get("deviceName") or name, "Ebs": {
                "Encrypted": bool(d.get("encrypted")), "VolumeSize": d.get("volumeSize"),
                **({"KmsKeyId": t.link(d["kmsKeyId"], res)} if d.get("kmsKeyId") else {})}}
        root = [mapping("/dev/xvda", i["rootBlockDevice"])] if i.get("rootBlockDevice") else []
        t.put(res, "AWS::EC2::Instance", {"ImageId": i.get("ami"), "InstanceType": i.get("instanceType"),
                                          "BlockDeviceMappings": root + [mapping("/dev/sdb", d)
                                                                         for d in i.get("ebsBlockDevices") or []],
                                          "Tags": _tags(i)})
    elif res.type == "aws:eks/cluster:Cluster":
        vpc, encryption = i.get("vpcConfig") or {}, i.get("encryptionConfig")
        t.put(res, "AWS::EKS::Cluster", {
            "Name": i.get("name"), "RoleArn": i.get("roleArn"),
            "ResourcesVpcConfig": {"SubnetIds": vpc.get("subnetIds"), "EndpointPublicAccess": vpc.get("endpointPublicAccess"),
                                   "EndpointPrivateAccess": vpc.get("endpointPrivateAccess"),
                                   "PublicAccessCidrs": vpc.get("publicAccessCidrs")},
            "EncryptionConfig": [{"Resources": encryption.get("resources"),
                                  "Provider": {"KeyArn": t.link(encryption["provider"]["keyArn"], res)}}]
            if encryption else None, "Tags": _tags(i)})
    elif res.type == "aws:ec2transitgateway/transitGateway:TransitGateway":
        t.put(res, "AWS::EC2::TransitGateway", {"Description": i.get("description"), "Tags": _tags(i)})
    elif res.type == "aws:ec2transitgateway/peeringAttachment:PeeringAttachment":
        t.put(res, "AWS::EC2::TransitGatewayPeeringAttachment", {
            "TransitGatewayId": t.link(i.get("transitGatewayId"), res),
            "PeerTransitGatewayId": t.link(i.get("peerTransitGatewayId"), res),
            "PeerRegion": i.get("peerRegion"), "PeerAccountId": i.get("peerAccountId"), "Tags": _tags(i)})
    elif res.type == "aws:rds/globalCluster:GlobalCluster":
        t.put(res, "AWS::RDS::GlobalCluster", {"GlobalClusterIdentifier": i.get("globalClusterIdentifier"),
                                               "Engine": i.get("engine"), "StorageEncrypted": i.get("storageEncrypted")})
    elif res.type == "aws:dynamodb/table:Table":
        _table(t, res)
    elif res.type in STORES:
        _store(t, res)
    elif res.type in RESOURCE_POLICIES:
        _resource_policy(t, res, res.inputs[RESOURCE_POLICIES[res.type][1]], res.inputs.get("policy"))
    elif res.type == "aws:lambda/function:Function":
        t.put(res, "AWS::Lambda::Function", {
            "FunctionName": i.get("name"), "Role": i.get("role"), "Runtime": i.get("runtime"),
            "Handler": i.get("handler"), "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
            "KmsKeyArn": t.link(i["kmsKeyArn"], res) if i.get("kmsKeyArn") else None, "Tags": _tags(i),
            "Environment": {"Variables": (i.get("environment") or {}).get("variables")} if i.get("environment") else None})
    elif res.type == "aws:lambda/permission:Permission":
        function = t.link(i.get("function"), res)
        t.put(res, "AWS::Lambda::Permission", {
            "FunctionName": Ref(str(function).split(".")[0]) if isinstance(function, GetAtt) else function,
            "Action": i.get("action"), "Principal": i.get("principal"), "SourceAccount": i.get("sourceAccount"),
            "SourceArn": i.get("sourceArn")})
    elif res.type in IAM_FORMS:
        _iam(t, res)
    elif res.type == "aws:efs/fileSystem:FileSystem":
        t.put(res, "AWS::EFS::FileSystem", {
            "Encrypted": bool(i.get("encrypted")), "FileSystemTags": _tags(i),
            "KmsKeyId": t.link(i["kmsKeyId"], res) if i.get("kmsKeyId") else None})
    elif res.type == "aws:efs/fileSystemPolicy:FileSystemPolicy":   # inline in CloudFormation
        owner = t.templates[t.region(res)]["Resources"][str(t.link(i.get("fileSystemId"), res))]
        owner["Properties"]["FileSystemPolicy"] = _document(i.get("policy"))
    elif res.type == "aws:ecr/repository:Repository":
        _repository(t, res)
    elif res.type == "aws:ecr/replicationConfiguration:ReplicationConfiguration":
        rules = (i.get("replicationConfiguration") or {}).get("rules") or []
        t.put(res, "AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": [
            {"Destinations": [{"Region": d.get("region"), "RegistryId": d.get("registryId")}
                              for d in r.get("destinations") or []],
             "RepositoryFilters": [{"Filter": f.get("filter"), "FilterType": f.get("filterType")}
                                   for f in r.get("repositoryFilters") or []] or None} for r in rules]}})
    elif res.type == "aws:backup/vault:Vault":
        t.put(res, "AWS::Backup::BackupVault", {
            "BackupVaultName": i.get("name"), "BackupVaultTags": i.get("tags") or None,
            "EncryptionKeyArn": t.link(i["kmsKeyArn"], res) if i.get("kmsKeyArn") else None})
    elif res.type == "aws:backup/plan:Plan":
        t.put(res, "AWS::Backup::BackupPlan", {"BackupPlan": {"BackupPlanName": i.get("name"), "BackupPlanRule": [
            {"RuleName": r.get("ruleName"), "TargetBackupVault": t.link(r.get("targetVaultName"), res),
             "ScheduleExpression": r.get("schedule"),
             "CopyActions": [{"DestinationBackupVaultArn": t.link(a.get("destinationVaultArn"), res)}
                             for a in r.get("copyActions") or []] or None} for r in i.get("rules") or []]}})
    elif res.type == "aws:cloudtrail/trail:Trail":
        t.put(res, "AWS::CloudTrail::Trail", {
            "TrailName": i.get("name"), "S3BucketName": t.link(i.get("s3BucketName"), res), "IsLogging": True,
            "IsMultiRegionTrail": bool(i.get("isMultiRegionTrail")),
            "EnableLogFileValidation": bool(i.get("enableLogFileValidation"))})


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# IAM users, their login profiles, keys and inline policies, roles, groups and their policies.
IAM_FORMS = {"aws:iam/user:User", "aws:iam/userLoginProfile:UserLoginProfile", "aws:iam/accessKey:AccessKey",
             "aws:iam/userPolicy:UserPolicy", "aws:iam/role:Role", "aws:iam/group:Group", "aws:iam/groupPolicy:GroupPolicy"}


def _iam(t: _Templates, res: CapturedResource) -> None:
    i = res.inputs
    if res.type == "aws:iam/user:User":
        t.put(res, "AWS::IAM::User", {"UserName": i.get("name"), "Tags": _tags(i)})
    elif res.type == "aws:iam/userLoginProfile:UserLoginProfile":
        user = t.templates[t.region(res)]["Resources"][logical_id(str(i.get("user")))]
        user["Properties"]["LoginProfile"] = {"Password": "not-a-real-password-1!"}
    elif res.type == "aws:iam/accessKey:AccessKey":
        t.put(res, "AWS::IAM::AccessKey", {"UserName": t.link(i.get("user"), res), "Status": i.get("status") or "Active"})
    elif res.type == "aws:iam/userPolicy:UserPolicy":
        t.put(res, "AWS::IAM::UserPolicy", {"UserName": t.link(i.get("user"), res), "PolicyName": i.get("name"),
                                            "PolicyDocument": _document(i.get("policy"))})
    elif res.type == "aws:iam/role:Role":
        t.put(res, "AWS::IAM::Role", {"RoleName": i.get("name"),
                                      "AssumeRolePolicyDocument": _document(i.get("assumeRolePolicy")),
                                      "Policies": [{"PolicyName": p.get("name"), "PolicyDocument": _document(p.get("policy"))}
                                                   for p in i.get("inlinePolicies") or []] or None})
    elif res.type == "aws:iam/group:Group":
        t.put(res, "AWS::IAM::Group", {"GroupName": i.get("name")})
    elif res.type == "aws:iam/groupPolicy:GroupPolicy":
        group = t.templates[t.region(res)]["Resources"][logical_id(str(i.get("group")))]
        group["Properties"].setdefault("Policies", []).append(
            {"PolicyName": i.get("name"), "PolicyDocument": _document(i.get("policy"))})


# Queues, topics, log groups, secrets, streams: (CloudFormation type, name property, key property).
STORES = {"aws:sqs/queue:Queue": ("AWS::SQS::Queue", "QueueName", "kmsMasterKeyId", "KmsMasterKeyId"),
          "aws:sns/topic:Topic": ("AWS::SNS::Topic", "TopicName", "kmsMasterKeyId", "KmsMasterKeyId"),
          "aws:cloudwatch/logGroup:LogGroup": ("AWS::Logs::LogGroup", "LogGroupName", "kmsKeyId", "KmsKeyId"),
          "aws:secretsmanager/secret:Secret": ("AWS::SecretsManager::Secret", "Name", "kmsKeyId", "KmsKeyId"),
          "aws:kinesis/stream:Stream": ("AWS::Kinesis::Stream", "Name", "kmsKeyId", None)}


# Policy resources of queues, topics and secrets: (CloudFormation type, pulumi input naming the
# store, CloudFormation property naming it, whether that property is a list, policy property).
RESOURCE_POLICIES = {
    "aws:sqs/queuePolicy:QueuePolicy": ("AWS::SQS::QueuePolicy", "queueUrl", "Queues", True, "PolicyDocument"),
    "aws:sns/topicPolicy:TopicPolicy": ("AWS::SNS::TopicPolicy", "arn", "Topics", True, "PolicyDocument"),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("AWS::SecretsManager::ResourcePolicy", "secretArn", "SecretId",
                                                     False, "ResourcePolicy")}
INLINE_POLICIES = {"aws:sqs/queue:Queue": "aws:sqs/queuePolicy:QueuePolicy",
                   "aws:sns/topic:Topic": "aws:sns/topicPolicy:TopicPolicy",
                   "aws:secretsmanager/secret:Secret": "aws:secretsmanager/secretPolicy:SecretPolicy"}


def _resource_policy(t: _Templates, res: CapturedResource, store: Any, document: Any, policy_type: str = "") -> None:
    """A queue, topic or secret policy as its own CloudFormation resource (CloudFormation has no
    inline form), naming the store with !Ref as a template would (Ref is the URL or ARN there)."""
    cfn_type, _, target_property, listed, document_property = RESOURCE_POLICIES[policy_type or res.type]
    target = t.link(store, res)
    if isinstance(target, GetAtt):
        target = Ref(str(target).split(".")[0])
    t.put(res, cfn_type, {target_property: [target] if listed else target,
                          document_property: json.loads(document) if isinstance(document, str) else document})


def _repository(t: _Templates, res: CapturedResource) -> None:
    """CloudFormation has no repository policy resource: the RepositoryPolicy's document is inline."""
    i = res.inputs
    encryption = (i.get("encryptionConfigurations") or [None])[0]
    policies = [r.inputs.get("policy") for r in t.capture.resources
                if r.type == "aws:ecr/repositoryPolicy:RepositoryPolicy" and r.inputs.get("repository") == i.get("name")]
    t.put(res, "AWS::ECR::Repository", {
        "RepositoryName": i.get("name"), "Tags": _tags(i),
        "EncryptionConfiguration": {"EncryptionType": encryption.get("encryptionType"),
                                    "KmsKey": t.link(encryption["kmsKey"], res) if encryption.get("kmsKey") else None}
        if encryption else None,
        "RepositoryPolicyText": _document(policies[-1]) if policies else None})


def _store(t: _Templates, res: CapturedResource) -> None:
    i = res.inputs
    cfn_type, name_property, key_input, key_property = STORES[res.type]
    key = t.link(i[key_input], res) if i.get(key_input) else None
    p: dict[str, Any] = {name_property: i.get("name"), "Tags": _tags(i)}
    if key_property:
        p[key_property] = key
    if res.type == "aws:cloudwatch/logGroup:LogGroup":
        p["RetentionInDays"] = int(i["retentionInDays"]) if i.get("retentionInDays") else None
    if res.type == "aws:secretsmanager/secret:Secret":
        p["ReplicaRegions"] = [{"Region": r["region"]} for r in i.get("replicas") or []] or None
    if res.type == "aws:kinesis/stream:Stream":
        p["ShardCount"] = int(i.get("shardCount") or 1)
        if i.get("encryptionType") == "KMS":
            p["StreamEncryption"] = {"EncryptionType": "KMS", "KeyId": key or "alias/aws/kinesis"}
    t.put(res, cfn_type, p)
    if i.get("policy") and res.type in INLINE_POLICIES:
        policy = CapturedResource(urn="", type="policy", name=f"{res.name}-inline-policy", id="", inputs={},
                                  provider=res.provider)
        _resource_policy(t, policy, res.id, i["policy"], INLINE_POLICIES[res.type])


def _table(t: _Templates, res: CapturedResource) -> None:
    i = res.inputs
    sse = i.get("serverSideEncryption") or {}
    key = t.link(sse["kmsKeyArn"], res) if sse.get("kmsKeyArn") else None
    common = {"TableName": i.get("name"), "BillingMode": i.get("billingMode"),
              "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i.get("attributes") or []],
              "KeySchema": [{"AttributeName": i.get("hashKey"), "KeyType": "HASH"}]}
    replicas = [r["regionName"] for r in i.get("replicas") or []]
    if not replicas:
        t.put(res, "AWS::DynamoDB::Table", {**common, "Tags": _tags(i), "SSESpecification": {
            "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key} if sse.get("enabled") else None})
        return
    own = t.region(res)
    t.put(res, "AWS::DynamoDB::GlobalTable", {**common, "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"}
                                              if sse.get("enabled") else None, "Replicas": [
        {"Region": own, "Tags": _tags(i), **({"SSESpecification": {"KMSMasterKeyId": key}} if key else {})},
        *({"Region": r} for r in replicas if r != own)]})


def cloudformation(capture: Capture) -> Optional[dict[str, str]]:
    """The program as CloudFormation templates (file name -> YAML), or None when a type has none."""
    if any(r.type in NOT_IN_CLOUDFORMATION for r in capture.resources):
        return None
    t = _Templates(capture)
    for res in capture.resources:
        if not res.type.startswith(PROVIDER_PREFIX):
            _put(t, res)
    return {f"{region}.yaml": _yaml(document) for region, document in sorted(t.templates.items())}


class Ref(str):
    """`!Ref LogicalId` in the YAML written."""


class GetAtt(str):
    """`!GetAtt LogicalId.Attribute` in the YAML written."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Ref, lambda dumper, value: dumper.represent_scalar("!Ref", str(value)))
_Dumper.add_representer(GetAtt, lambda dumper, value: dumper.represent_scalar("!GetAtt", str(value)))


def _yaml(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
