"""A team's static site and its platform cluster, as the public examples write them: the site's
bucket behind CloudFront with an origin access control (the origin is the bucket's regional host
name, an output), and an EKS cluster in the default VPC's subnets left at EKS's defaults."""
import json

import pulumi
import pulumi_aws as aws

vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])

site = aws.s3.BucketV2("site", bucket="acme-site-assets", tags={"data-classification": "marketing"})
aws.s3.BucketPublicAccessBlock("site-pab", bucket=site.id, block_public_acls=True, block_public_policy=True,
                               ignore_public_acls=True, restrict_public_buckets=True)
oac = aws.cloudfront.OriginAccessControl("site-oac", origin_access_control_origin_type="s3",
                                         signing_behavior="always", signing_protocol="sigv4")
cdn = aws.cloudfront.Distribution(
    "site-cdn",
    enabled=True,
    default_root_object="index.html",
    origins=[aws.cloudfront.DistributionOriginArgs(
        domain_name=site.bucket_regional_domain_name, origin_id="site", origin_access_control_id=oac.id)],
    default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
        target_origin_id="site", viewer_protocol_policy="redirect-to-https",
        allowed_methods=["GET", "HEAD"], cached_methods=["GET", "HEAD"],
        cache_policy_id="658327ea-f89d-4fab-a63d-7e88639e58f6"),
    restrictions=aws.cloudfront.DistributionRestrictionsArgs(
        geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
    viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
)

role = aws.iam.Role("platform-role", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}))
cluster = aws.eks.Cluster("platform", role_arn=role.arn,
                          vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=subnets.ids))

pulumi.export("siteUrl", cdn.domain_name.apply(lambda name: f"https://{name}"))
pulumi.export("kubeEndpoint", cluster.endpoint)
