"""The peer of `warroom contain` in the containment benchmark: the same playbook written
by hand with boto3, as a responder without warroom would run it at 3 a.m. — deactivate the
key, deny the user everything, quarantine each instance (a no-rule group per VPC), snapshot
its volumes, stop it, take the back-door user apart, revoke the ingress, delete the key pairs.

Usage: contain_peer.py ENDPOINT BREACH.json — prints the seconds the calls took."""

import json
import sys
import time

import boto3

endpoint, breach = sys.argv[1], json.load(open(sys.argv[2]))


def client(service, region="us-east-1"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


start = time.monotonic()
iam = client("iam")
iam.update_access_key(UserName=breach["user"], AccessKeyId=breach["key"], Status="Inactive")
iam.put_user_policy(
    UserName=breach["user"],
    PolicyName="deny-all",
    PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    ),
)
for region, ids in breach["instances"].items():
    ec2 = client("ec2", region)
    quarantine = {}
    for i in ids:
        inst = ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]
        vpc = inst["VpcId"]
        if vpc not in quarantine:
            g = ec2.create_security_group(GroupName="quarantine", Description="none", VpcId=vpc)
            ec2.revoke_security_group_egress(
                GroupId=g["GroupId"],
                IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            )
            quarantine[vpc] = g["GroupId"]
        ec2.modify_instance_attribute(InstanceId=i, Groups=[quarantine[vpc]])
        for m in inst.get("BlockDeviceMappings", []):
            ec2.create_snapshot(VolumeId=m["Ebs"]["VolumeId"], Description="forensics")
    for i in ids:
        ec2.stop_instances(InstanceIds=[i])
backdoor = breach["backdoor"]
for k in iam.list_access_keys(UserName=backdoor)["AccessKeyMetadata"]:
    iam.delete_access_key(UserName=backdoor, AccessKeyId=k["AccessKeyId"])
iam.delete_login_profile(UserName=backdoor)
for p in iam.list_user_policies(UserName=backdoor)["PolicyNames"]:
    iam.delete_user_policy(UserName=backdoor, PolicyName=p)
for p in iam.list_attached_user_policies(UserName=backdoor)["AttachedPolicies"]:
    iam.detach_user_policy(UserName=backdoor, PolicyArn=p["PolicyArn"])
for g in iam.list_groups_for_user(UserName=backdoor)["Groups"]:
    iam.remove_user_from_group(UserName=backdoor, GroupName=g["GroupName"])
for d in iam.list_mfa_devices(UserName=backdoor)["MFADevices"]:
    iam.deactivate_mfa_device(UserName=backdoor, SerialNumber=d["SerialNumber"])
    iam.delete_virtual_mfa_device(SerialNumber=d["SerialNumber"])
for k in iam.list_ssh_public_keys(UserName=backdoor)["SSHPublicKeys"]:
    iam.delete_ssh_public_key(UserName=backdoor, SSHPublicKeyId=k["SSHPublicKeyId"])
iam.delete_user(UserName=backdoor)
for region, group, rule in breach["ingress"]:
    client("ec2", region).revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule])
    client("ec2", region).delete_key_pair(KeyName="node-key")
print(f"{time.monotonic() - start:.3f}")
