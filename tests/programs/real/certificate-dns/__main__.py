"""A DNS-validated certificate in an existing hosted zone, and a registry for images."""
import pulumi
import pulumi_aws as aws

zone = aws.route53.get_zone(name="example.com", private_zone=False)
cert = aws.acm.Certificate("cert", domain_name="app.example.com", validation_method="DNS")
record = aws.route53.Record(
    "cert-validation",
    zone_id=zone.zone_id,
    name=cert.domain_validation_options[0].resource_record_name,
    type=cert.domain_validation_options[0].resource_record_type,
    records=[cert.domain_validation_options[0].resource_record_value],
    ttl=60,
)
aws.acm.CertificateValidation("cert-validated", certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn])

repo = aws.ecr.Repository("images", image_tag_mutability="IMMUTABLE")
token = aws.ecr.get_authorization_token_output(registry_id=repo.registry_id)
pulumi.export("registry", token.proxy_endpoint)
pulumi.export("login", token.user_name.apply(lambda user: f"docker login -u {user}"))
pulumi.export("nameServers", zone.name_servers)
