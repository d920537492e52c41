// Generated from saasapi.v2.json by scripts/generate-marketplace-types.ts. Do not edit.
export interface paths {
    "/saas/subscriptions/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve a subscription
         * @description The resolve endpoint enables the publisher to resolve a marketplace token to a persistent resource ID. The resource ID is the unique identifier for a SaaS subscription. When a user is redirected to a partner's website, the URL contains a token in the query parameters. The partner is expected to use this token and make a request to resolve it. The response contains the unique SaaS subscription ID, name, offer ID, and plan for the resource. This token is valid for one hour only.
         */
        post: operations["FulfillmentOperations_Resolve"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/saas/subscriptions/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List subscriptions
         * @description Lists all the SaaS subscriptions for a publisher.
         */
        get: operations["FulfillmentOperations_ListSubscriptions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/saas/subscriptions/{subscriptionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get subscription
         * @description Gets the specified SaaS subscription. Use this call to get license information and plan information.
         */
        get: operations["FulfillmentOperations_GetSubscription"];
        put?: never;
        post?: never;
        /**
         * Delete a subscription
         * @description Unsubscribe and delete the specified subscription.
         */
        delete: operations["FulfillmentOperations_DeleteSubscription"];
        options?: never;
        head?: never;
        /**
         * Patch a subscription
         * @description Use this call to update the plan, the user count (quantity), or both.
         */
        patch: operations["FulfillmentOperations_UpdateSubscription"];
        trace?: never;
    };
    "/saas/subscriptions/{subscriptionId}/listAvailablePlans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List available plans
         * @description Use this call to find out if there are any private or public offers for the current publisher.
         */
        get: operations["FulfillmentOperations_ListAvailablePlans"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/saas/subscriptions/{subscriptionId}/activate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Activate a subscription
         * @description Use this call to activate a subscription.
         */
        post: operations["FulfillmentOperations_ActivateSubscription"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/saas/subscriptions/{subscriptionId}/operations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List outstanding operations
         * @description Lists the outstanding operations for the current publisher.
         */
        get: operations["SubscriptionOperations_ListOperations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/saas/subscriptions/{subscriptionId}/operations/{operationId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get operation status
         * @description Enables the publisher to track the status of the specified triggered async operation (such as Subscribe, Unsubscribe, ChangePlan, or ChangeQuantity).
         */
        get: operations["SubscriptionOperations_GetOperationStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Update the status of an operation
         * @description Update the status of an operation to indicate success or failure with the provided values.
         */
        patch: operations["SubscriptionOperations_UpdateOperationStatus"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description The request must send the following parameters as a URL Encoded form; grant_type - client_credentials; resource - 20e940b3-4c77-4b0b-9a53-9e16a1b010a7; client_id - AAD Registered App Client ID; client_secret - AAD Registered App Client Secret
         * @default 2018-08-31
         * @enum {string}
         */
        ApiVersion: "2018-08-31";
        /** @description Summary of the subscription */
        ResolvedSubscription: {
            /** Format: uuid */
            id?: string;
            subscriptionName?: string;
            offerId?: string;
            planId?: string;
            /** Format: int64 */
            quantity?: number;
            subscription?: components["schemas"]["Subscription"];
        };
        SubscriptionsResponse: {
            subscriptions?: components["schemas"]["Subscription"][];
            /**
             * Format: uri
             * @description Link to get the next set of subscriptions.
             */
            "@nextLink"?: string;
        };
        Subscription: {
            /** Format: uuid */
            id?: string;
            publisherId?: string;
            offerId?: string;
            name?: string;
            /**
             * @description Indicates the status of the operation.
             * @enum {string}
             */
            saasSubscriptionStatus?: "NotStarted" | "PendingFulfillmentStart" | "Subscribed" | "Suspended" | "Unsubscribed";
            beneficiary?: components["schemas"]["AadIdentifier"];
            purchaser?: components["schemas"]["AadIdentifier"];
            planId?: string;
            /** Format: int32 */
            quantity?: number;
            term?: {
                termUnit?: components["schemas"]["TermUnit"];
                /** Format: date-time */
                startDate?: string;
                /** Format: date-time */
                endDate?: string;
                chargeDuration?: string;
            };
            /** @description Indicating whether the subscription will renew automatically. */
            autoRenew?: boolean;
            /** @description Indicating whether the current subscription is a test asset. */
            isTest?: boolean;
            /** @description true - the customer subscription is currently in free trial, false - the customer subscription is not currently in free trial.(optional field - default false) */
            isFreeTrial?: boolean;
            allowedCustomerOperations?: ("Read" | "Update" | "Delete")[];
            /**
             * @description Possible Values are None, Csp (Csp sandbox purchase)
             * @enum {string}
             */
            sandboxType?: "None" | "Csp";
            /** Format: date-time */
            created?: string;
            /**
             * @description Dry Run indicates all transactions run as Test-Mode in the commerce stack
             * @enum {string}
             */
            sessionMode?: "None" | "DryRun";
        };
        AadIdentifier: {
            /** Format: email */
            emailId?: string;
            /** Format: uuid */
            objectId?: string;
            /** Format: uuid */
            tenantId?: string;
            puid?: string;
        };
        SubscriptionPlans: {
            plans?: components["schemas"]["Plan"][];
        };
        Plan: {
            planId?: string;
            displayName?: string;
            isPrivate?: boolean;
            description?: string;
            /** Format: int64 */
            minQuantity?: number;
            /** Format: int64 */
            maxQuantity?: number;
            hasFreeTrials?: boolean;
            isPricePerSeat?: boolean;
            isStopSell?: boolean;
            market?: string;
            planComponents?: {
                recurrentBillingTerms?: components["schemas"]["RecurrentBillingTerm"][];
                meteringDimensions?: components["schemas"]["MeteringDimension"][];
            };
            sourceOffers?: components["schemas"]["SourceOffer"][];
        };
        SourceOffer: {
            /** Format: uuid */
            externalId?: string;
        };
        RecurrentBillingTerm: {
            currency?: string;
            price?: number;
            termUnit?: components["schemas"]["TermUnit"];
            termDescription?: string;
            meteredQuantityIncluded?: components["schemas"]["MeteringedQuantityIncluded"][];
        };
        /** @enum {string} */
        TermUnit: "P1M" | "P1Y" | "P2Y" | "P3Y" | "P4Y" | "P5Y";
        MeteringedQuantityIncluded: {
            dimensionId?: string;
            units?: string;
        };
        MeteringDimension: {
            id?: string;
            currency?: string;
            pricePerUnit?: number;
            unitOfMeasure?: string;
            displayName?: string;
        };
        SubscriberPlan: {
            planId?: string;
            /** Format: int64 */
            quantity?: number;
        };
        FulfillmentInternalServerErrorResponse: {
            error?: {
                code?: string;
                message?: string;
            };
        };
        UpdateOperation: {
            planId?: string;
            /** Format: int64 */
            quantity?: number;
            /** @enum {string} */
            status?: "Success" | "Failure";
        };
        OperationList: {
            operations?: components["schemas"]["SaaSOperation"][];
        };
        SaaSOperation: {
            /** Format: uuid */
            id?: string;
            /** Format: uuid */
            activityId?: string;
            /** Format: uuid */
            subscriptionId?: string;
            offerId?: string;
            publisherId?: string;
            planId?: string;
            /** Format: int32 */
            quantity?: number;
            /** @enum {string} */
            action?: "Unsubscribe" | "ChangePlan" | "ChangeQuantity" | "Suspend" | "Reinstate" | "Renew";
            /** Format: date-time */
            timeStamp?: string;
            /** @enum {string} */
            status?: "NotStarted" | "InProgress" | "Succeeded" | "Failed" | "Conflict";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    FulfillmentOperations_Resolve: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
                /** @description The token query parameter in the URL when the user is redirected to the SaaS partner's website from Azure (for example,  https://contoso.com/signup?token=..). Note, The URL decodes the token value from the browser before using it. */
                "x-ms-marketplace-token": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Describes the SaaS subscription indicated by the x-ms-marketplace-token. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResolvedSubscription"];
                };
            };
            /** @description Bad request. x-ms-marketplace-token is missing, malformed, or expired. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_ListSubscriptions: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
                /** @description Optional value, only used for ListSubscriptions. */
                continuationToken?: string;
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Gets the publisher and corresponding subscriptions for all the publisher's offers, based on the authentication token. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionsResponse"];
                };
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_GetSubscription: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Gets the SaaS subscription from identifier. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Subscription"];
                };
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_DeleteSubscription: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The partner initiated a call to unsubscribe a SaaS subscription. */
            202: {
                headers: {
                    "Operation-Location"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Delete on a subscription with Delete not in allowedCustomerOperations. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_UpdateSubscription: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SubscriberPlan"];
            };
        };
        responses: {
            /** @description The request to change plan and/or quantity has been accepted. The partner is expected to poll the Operation-Location to determine a success or failure. */
            202: {
                headers: {
                    "Operation-Location"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request. Validation failures. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_ListAvailablePlans: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
                /** @description planid */
                planId?: string;
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Gets the SaaS subscription from identifier. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionPlans"];
                };
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    FulfillmentOperations_ActivateSubscription: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SubscriberPlan"];
            };
        };
        responses: {
            /** @description Activates the subscription. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request. Validation failures. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    SubscriptionOperations_ListOperations: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Gets the SaaS subscription from identifier. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OperationList"];
                };
            };
            /** @description Bad request; validation failures. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    SubscriptionOperations_GetOperationStatus: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
                operationId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. Gets the SaaS subscription from identifier. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SaaSOperation"];
                };
            };
            /** @description Bad request; validation failures. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    SubscriptionOperations_UpdateOperationStatus: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path: {
                subscriptionId: string;
                operationId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateOperation"];
            };
        };
        responses: {
            /** @description A call to inform of completion of an operation on the partner side. For example, this response could signal the completion of change of seats or plans. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request; validation failures. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unauthorized. The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not found. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Conflict. For example, a newer update is already fulfilled. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Internal server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
