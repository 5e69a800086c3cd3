"""A static-site bucket whose policy comes from aws.iam.get_policy_document: public read."""
import pulumi
import pulumi_aws as aws

site = aws.s3.Bucket("site", bucket="site-lu", tags={"data-classification": "marketing"})
aws.s3.BucketPublicAccessBlock("site-pab", bucket=site.id, block_public_acls=True, ignore_public_acls=True,
                               block_public_policy=False, restrict_public_buckets=False)

public_read = aws.iam.get_policy_document_output(statements=[{
    "sid": "PublicReadGetObject",
    "effect": "Allow",
    "principals": [{"type": "*", "identifiers": ["*"]}],
    "actions": ["s3:GetObject"],
    "resources": [site.arn.apply(lambda arn: f"{arn}/*")],
}])
aws.s3.BucketPolicy("site-policy", bucket=site.id, policy=public_read.json)

pulumi.export("websiteUrl", site.website_endpoint)
