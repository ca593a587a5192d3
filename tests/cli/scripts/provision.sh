#!/usr/bin/env bash
# A provisioning script written for Azure: a resource group, a storage account, a queue.
# It runs against the local cloud after `eval "$(python -m labsupport env --az)"` with one
# change, marked below (README, "The Azure CLI"): the queue line names the queue endpoint.
set -euo pipefail
RESOURCE_GROUP=${RESOURCE_GROUP:-rg-orders}
ACCOUNT=${ACCOUNT:-ordersstore01}
LOCATION=${LOCATION:-eastus}

az group create --name "$RESOURCE_GROUP" --location "$LOCATION" --output none
az storage account create --name "$ACCOUNT" --resource-group "$RESOURCE_GROUP" \
  --location "$LOCATION" --sku Standard_LRS --output none
ACCOUNT_KEY=$(az storage account keys list --account-name "$ACCOUNT" \
  --resource-group "$RESOURCE_GROUP" --query "[0].value" -o tsv)
# The one change: --queue-endpoint. On Azure the same line works with or without it.
QUEUE_ENDPOINT=$(az storage account show --name "$ACCOUNT" --resource-group "$RESOURCE_GROUP" \
  --query primaryEndpoints.queue -o tsv)
az storage queue create --name orders --account-name "$ACCOUNT" --account-key "$ACCOUNT_KEY" \
  --queue-endpoint "$QUEUE_ENDPOINT" --output none
echo "provisioned $ACCOUNT in $RESOURCE_GROUP"
